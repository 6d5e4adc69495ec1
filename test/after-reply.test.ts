// Work finished after the reply: it runs after the caller has moved on, `settled` waits for it, and a
// failure is logged without the error's properties (a database error carries its parameters).
import { describe, expect, it } from "vitest";
import { AfterReply } from "../src/domain/after-reply.js";

describe("AfterReply", () => {
  it("runs the work after the caller's turn, and settled waits for all of it", async () => {
    const order: string[] = [];
    const after = new AfterReply({ error: () => undefined });
    after.run("first", async () => {
      order.push("work");
      after.run("second", async () => {
        order.push("nested work");
      });
    });
    order.push("answered");
    await after.settled();
    expect(order).toEqual(["answered", "work", "nested work"]);
  });

  it("logs a failure by name and message only, and keeps going", async () => {
    const logged: unknown[] = [];
    const after = new AfterReply({ error: ((entry: unknown) => logged.push(entry)) as never });
    after.run("register", async () => {
      throw Object.assign(new Error("UNIQUE constraint failed: users.email"), {
        parameters: ["victim@example.com", "$argon2id$v=19$secret-hash"],
      });
    });
    await after.settled();
    expect(logged).toEqual([{ task: "register", error: "Error: UNIQUE constraint failed: users.email" }]);
    expect(JSON.stringify(logged)).not.toMatch(/argon2|victim/);
  });
});
