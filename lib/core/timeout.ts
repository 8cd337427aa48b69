/** Waiting for something, but not for ever. */

/** `work`'s value, or `undefined` once `ms` have passed without it. */
export function withTimeout<T>(
  work: Promise<T>,
  ms: number,
): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) =>
    timer = setTimeout(() => resolve(undefined), ms)
  );
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
