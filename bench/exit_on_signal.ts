/**
 * Preloaded into the bare Deno echo by `bench/profile.ts`
 * (`deno run --preload`): the echo stays as small as it is, with no signal
 * handling, and a process that SIGTERM kills writes no `--cpu-prof`
 * profile. With this, SIGTERM and SIGINT end it with a normal exit, which
 * writes the profile.
 */
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.addSignalListener(signal, () => Deno.exit(0));
}
