/**
 * Seeded fuzzing of the receiver: random and mutated client streams, split
 * at random points, checked against a plain reference parser written for
 * clarity (tests/helpers/reference_receiver.ts). The receiver
 * must never throw, and must report exactly what the reference reports:
 * the right messages, or the same failure code (1002, 1007, 1009).
 *
 * Another seed: WSECHO_FUZZ_SEED=123 deno test -A tests/unit/protocol_fuzz_test.ts
 * (WSECHO_FUZZ_ITERATIONS sets the count; a failure prints its seed and case).
 */

import assert from "node:assert/strict";
import { isSendableCloseCode } from "../../lib/core/close_codes.ts";
import { Receiver } from "../../lib/protocol/receiver.ts";
import {
  clientFrame,
  concat,
  type ReceiverEvent,
  Recorder,
} from "../helpers/client_frames.ts";
import { generate, mutate, prng, split } from "../helpers/fuzz_streams.ts";
import { referenceEvents } from "../helpers/reference_receiver.ts";

const enc = new TextEncoder();
const SEED = Number(Deno.env.get("WSECHO_FUZZ_SEED") ?? 20261201);
const ITERATIONS = Number(Deno.env.get("WSECHO_FUZZ_ITERATIONS") ?? 3000);

/** Failure reasons differ between the two parsers; codes must not. */
function comparable(events: ReceiverEvent[]): ReceiverEvent[] {
  return events.map((e) => e[0] === "failure" ? ["failure", e[1], ""] : e);
}

Deno.test(`fuzz: ${ITERATIONS} random and mutated streams, split at random points (seed ${SEED})`, () => {
  const random = prng(SEED);
  const outcomes = {
    clean: 0,
    1002: 0,
    1007: 0,
    1009: 0,
    mutated: 0,
  } as Record<string, number>;
  for (let iteration = 0; iteration < ITERATIONS; iteration++) {
    const maxMessage = [64, 300, 1 << 17][Math.floor(random() * 3)];
    const rsv1Allowed = random() < 0.3;
    const { frames, expected, rude } = generate(random, rsv1Allowed);
    let input = concat(...frames.map(clientFrame));
    const mutated = random() < 0.35;
    if (mutated) {
      input = mutate(input, random);
      outcomes.mutated++;
    }
    const chunks = split(input, random);
    const recorder = new Recorder();
    const receiver = new Receiver(recorder, { maxMessage, rsv1Allowed });
    const where =
      `seed ${SEED}, iteration ${iteration}, maxMessage ${maxMessage}, rsv1 ${rsv1Allowed}`;
    try {
      for (const chunk of chunks) receiver.push(chunk);
    } catch (error) {
      assert.fail(`receiver threw (${where}): ${error}`);
    }
    const events = recorder.events;
    assert.deepEqual(
      comparable(events),
      comparable(referenceEvents(input, maxMessage, rsv1Allowed)),
      where,
    );
    const last = events.at(-1);
    if (last?.[0] === "failure") {
      assert.ok(
        isSendableCloseCode(last[1]) && [1002, 1007, 1009].includes(last[1]),
        where,
      );
      assert.ok(enc.encode(last[2]).length <= 123, where);
      outcomes[last[1]]++;
    }
    const fits = !expected.some((e) =>
      e[0] === "message" && e[2].length > maxMessage
    );
    if (!mutated && !rude && fits) {
      // The right echo: every message, ping, pong and close as generated.
      assert.deepEqual(events, expected, where);
      outcomes.clean++;
    }
  }
  if (Deno.env.get("WSECHO_FUZZ_VERBOSE")) console.log(outcomes);
  // The run was not vacuous: each verdict was reached many times.
  for (const [name, count] of Object.entries(outcomes)) {
    assert.ok(count >= ITERATIONS / 100, `${name}: ${count} of ${ITERATIONS}`);
  }
});
