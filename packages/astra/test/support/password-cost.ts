/**
 * scrypt's N for the password hashes of in-process test gateways (Identity's and startNode's
 * `passwordCost`): about 2 ms a hash instead of 60 to 130 at the production 2^15, for suites that
 * create users and log in by the dozen. The production cost is checked where it is made
 * (test/identity/password-cost.test.ts) and by every `astra up` of the e2e suites.
 */
export const TEST_PASSWORD_COST = 2 ** 10;
