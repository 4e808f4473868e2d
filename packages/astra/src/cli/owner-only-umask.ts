/**
 * Makes every file and directory this process creates owner-only (umask 077), whatever umask the
 * shell had: the data dir holds the database, the admin token and the key-encryption key. Called
 * once at the process edge, before anything is written, by the commands that open the data dir.
 */
export function useOwnerOnlyUmask(): void {
  process.umask(0o077);
}
