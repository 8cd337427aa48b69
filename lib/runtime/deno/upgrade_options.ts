/**
 * What the Deno glue passes to `Deno.upgradeWebSocket`: a pure function, so
 * a unit test can check it (as bunIdleTimeout is checked for Bun).
 */

/**
 * Deno pings after `idleTimeout`/2 seconds of silence and closes with 1001
 * if no pong has come by `idleTimeout`; 0 turns that off, so it must reach
 * Deno as 0, never as "unset" (which would mean Deno's own default).
 */
export function denoUpgradeOptions(
  protocol: string | undefined,
  idleTimeout: number,
): Deno.UpgradeWebSocketOptions {
  return { protocol, idleTimeout };
}
