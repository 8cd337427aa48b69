/**
 * BASELINE, NOT THE PROJECT: `bare_deno.ts`'s echo as a `deno serve` module,
 * for the scale-out workload (`deno serve --parallel` runs one copy per
 * worker on a shared port).
 *
 *   DENO_JOBS=2 deno serve --parallel --allow-net --port P bench/bare_deno_serve.ts
 */
import { announce, echo } from "./bare_deno.ts";

export default {
  fetch: echo,
  onListen: (addr: Deno.Addr) => {
    if (addr.transport === "tcp") announce(addr);
  },
} satisfies Deno.ServeDefaultExport;
