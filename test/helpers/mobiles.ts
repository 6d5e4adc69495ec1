// Mobile numbers for tests. authd takes only real mobile numbers (libphonenumber-js's metadata), so
// made-up ones such as +1 555… or the UK's 07700 900 drama range are refused. Fixed numbers in tests
// are the Australian regulator's numbers for fiction (+61 491 570 006, 156, 157, …), a valid mobile
// range; tests that need many count through 0491 578 xxx beside them. No test sends anything beyond
// the local SMS receiver.

/** The n-th of a thousand distinct numbers (+61 491 578 000 to 999). */
export function testMobile(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 999) throw new Error(`testMobile: ${n} is out of 0..999`);
  return `+61491578${String(n).padStart(3, "0")}`;
}
