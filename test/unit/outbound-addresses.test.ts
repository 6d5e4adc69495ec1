// Which addresses outbound requests may reach: the classifier of src/outbound/address-policy.ts over
// a table of IPv4 and IPv6 addresses, IPv4 carried in IPv6 included, and the names refused before any
// lookup.
import { describe, expect, test } from "vitest";
import {
  addressProblem,
  classifyAddress,
  classifyHostname,
  hostnameProblem,
} from "../../src/outbound/address-policy.js";

describe("an IPv4 address", () => {
  test.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["10.0.0.1", "private"],
    ["10.255.255.255", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.0.1", "link-local"],
    ["169.254.169.254", "metadata"],
    ["169.254.170.2", "metadata"],
    ["100.100.100.200", "metadata"],
    ["168.63.129.16", "metadata"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.127.255.255", "carrier-grade NAT"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.255", "reserved"],
    ["192.0.0.8", "reserved"],
    ["192.0.2.10", "reserved"],
    ["198.18.0.1", "reserved"],
    ["198.51.100.7", "reserved"],
    ["203.0.113.9", "reserved"],
  ])("%s is %s", (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });

  test.each([
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "172.15.255.255", // just below 172.16/12
    "172.32.0.1", // just above
    "100.63.255.255", // just below 100.64/10
    "100.128.0.1", // just above
    "169.253.255.255",
    "192.169.0.1",
    "223.255.255.255",
  ])("%s is public", (address) => {
    expect(classifyAddress(address)).toBeUndefined();
  });
});

describe("an IPv6 address", () => {
  test.each([
    ["::1", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["febf:ffff::1", "link-local"],
    ["fc00::1", "private"],
    ["fd12:3456:789a::1", "private"],
    ["fec0::1", "private"],
    ["fd00:ec2::254", "metadata"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "reserved"],
    ["2001::1", "reserved"], // Teredo
    ["3fff::1", "reserved"],
    ["100::1", "reserved"], // discard-only
    ["::127.0.0.1", "reserved"], // IPv4-compatible (deprecated)
    ["4000::1", "reserved"], // outside global unicast
    // IPv4-mapped: the IPv4 address it reaches decides.
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:169.254.169.254", "metadata"],
    ["::ffff:0.0.0.0", "unspecified"],
    // NAT64 and 6to4 carry an IPv4 address too.
    ["64:ff9b::10.0.0.1", "private"],
    ["64:ff9b::7f00:1", "loopback"],
    ["2002:7f00:1::", "loopback"],
    ["2002:a9fe:a9fe::1", "metadata"],
  ])("%s is %s", (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });

  test.each([
    "2606:4700:4700::1111",
    "2001:4860:4860::8888",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8", // a public IPv4 address seen through a dual-stack socket
    "64:ff9b::808:808", // a DNS64 answer for a public IPv4 host
    "2002:808:808::1",
  ])("%s is public", (address) => {
    expect(classifyAddress(address)).toBeUndefined();
  });
});

test("what is not an IP address is never taken for a public one", () => {
  expect(classifyAddress("example.com")).toBe("reserved");
  expect(classifyAddress("")).toBe("reserved");
  expect(classifyAddress("127.1")).toBe("reserved");
});

describe("a host name", () => {
  test.each([
    ["localhost", "loopback"],
    ["LOCALHOST.", "loopback"],
    ["api.localhost", "loopback"],
    ["metadata.google.internal", "metadata"],
    ["Metadata.Google.Internal.", "metadata"],
    ["metadata", "metadata"],
    ["instance-data", "metadata"],
  ])("%s is refused before any lookup (%s)", (name, cls) => {
    expect(classifyHostname(name)).toBe(cls);
  });

  test.each(["example.com", "localhost.example.com", "metadata.example.com"])("%s is looked up", (name) => {
    expect(classifyHostname(name)).toBeUndefined();
  });
});

describe("the development allowance", () => {
  test("lets loopback and private addresses and localhost through", () => {
    for (const address of ["127.0.0.1", "::1", "10.0.0.1", "192.168.1.1", "fd12::1", "::ffff:127.0.0.1"]) {
      expect(addressProblem(address, false)).toMatch(/address/);
      expect(addressProblem(address, true)).toBeUndefined();
    }
    expect(hostnameProblem("localhost", false)).toMatch(/this machine/);
    expect(hostnameProblem("localhost", true)).toBeUndefined();
  });

  test("never lets a cloud metadata service through", () => {
    for (const address of ["169.254.169.254", "::ffff:169.254.169.254", "fd00:ec2::254", "100.100.100.200"]) {
      expect(addressProblem(address, true)).toMatch(/metadata/);
    }
    expect(hostnameProblem("metadata.google.internal", true)).toMatch(/metadata/);
  });
});
