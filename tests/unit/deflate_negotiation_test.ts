/** permessage-deflate negotiation (RFC 7692 §7.1): offers in, answers out. */
import assert from "node:assert/strict";
import {
  DEFAULT_DEFLATE_CONFIG,
  type DeflateConfig,
  negotiatePermessageDeflate,
  parseExtensionsHeader,
} from "../../lib/protocol/deflate_negotiation.ts";

function answer(header: string | null, config?: Partial<DeflateConfig>) {
  return negotiatePermessageDeflate(header, {
    ...DEFAULT_DEFLATE_CONFIG,
    ...config,
  });
}

function response(header: string, config?: Partial<DeflateConfig>): string {
  const result = answer(header, config);
  assert.ok(result.accepted, `declined: ${JSON.stringify(result)}`);
  return result.response;
}

Deno.test("the header grammar: offers, parameters, quoted values, spaces", () => {
  assert.deepEqual(
    parseExtensionsHeader(
      'permessage-deflate ; client_max_window_bits ;server_max_window_bits="10",x-foo,, bar;a=b',
    ),
    [
      {
        name: "permessage-deflate",
        params: [["client_max_window_bits", true], [
          "server_max_window_bits",
          "10",
        ]],
      },
      { name: "x-foo", params: [] },
      { name: "bar", params: [["a", "b"]] },
    ],
  );
  for (
    const bad of [
      "permessage-deflate; =1",
      "permessage-deflate; a=",
      'permessage-deflate; a="unterminated',
      "permessage-deflate x",
      ";a",
      "permessage-deflate; a=b c",
    ]
  ) {
    assert.equal(parseExtensionsHeader(bad), null, bad);
  }
  assert.deepEqual(
    answer("permessage-deflate; a=b c"),
    { accepted: null, reason: "malformed header" },
  );
});

Deno.test("no header or no permessage-deflate offer: no extension", () => {
  assert.deepEqual(answer(null), { accepted: null, reason: "not offered" });
  assert.deepEqual(answer("x-webkit-deflate-frame"), {
    accepted: null,
    reason: "not offered",
  });
  assert.deepEqual(answer(""), { accepted: null, reason: "not offered" });
});

Deno.test("a plain offer gets a plain answer and 15-bit windows with context", () => {
  const result = answer("permessage-deflate");
  assert.deepEqual(result, {
    accepted: {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    },
    response: "permessage-deflate",
  });
  // The browsers' offer.
  assert.equal(
    response("permessage-deflate; client_max_window_bits"),
    "permessage-deflate",
  );
  assert.equal(response("PerMessage-Deflate"), "permessage-deflate");
});

Deno.test("each parameter is honoured", () => {
  assert.equal(
    response("permessage-deflate; server_no_context_takeover"),
    "permessage-deflate; server_no_context_takeover",
  );
  // The client's hint is answered: it costs that client nothing and frees
  // the server's inflate window between messages.
  const hint = answer("permessage-deflate; client_no_context_takeover");
  assert.equal(hint.accepted?.clientNoContextTakeover, true);
  assert.equal(
    response("permessage-deflate; client_no_context_takeover"),
    "permessage-deflate; client_no_context_takeover",
  );
  assert.equal(
    response("permessage-deflate; server_max_window_bits=10"),
    "permessage-deflate; server_max_window_bits=10",
  );
  assert.equal(
    response('permessage-deflate; server_max_window_bits="12"'),
    "permessage-deflate; server_max_window_bits=12",
  );
  const clientBits = answer("permessage-deflate; client_max_window_bits=10");
  assert.equal(clientBits.accepted?.clientMaxWindowBits, 10);
  assert.equal(
    response("permessage-deflate; client_max_window_bits=10"),
    "permessage-deflate; client_max_window_bits=10",
  );
});

Deno.test("the server's configuration limits what it agrees to", () => {
  const saving = {
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    serverMaxWindowBits: 10,
    clientMaxWindowBits: 11,
  };
  const result = answer("permessage-deflate; client_max_window_bits", saving);
  assert.deepEqual(result, {
    accepted: {
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 11,
    },
    response:
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=11",
  });
  // The smaller of the offer and the configuration.
  assert.equal(
    response(
      "permessage-deflate; server_max_window_bits=12; client_max_window_bits=9",
      saving,
    ),
    "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9",
  );
  // Without client_max_window_bits in the offer the client cannot be
  // limited (§7.1.2.2); the offer is still accepted, inflating with 15.
  const unlimited = answer("permessage-deflate", saving);
  assert.equal(unlimited.accepted?.clientMaxWindowBits, 15);
  assert.equal(
    unlimited.accepted && unlimited.response,
    "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
  );
});

Deno.test("invalid offers are declined and the next one is tried", () => {
  for (
    const bad of [
      "permessage-deflate; unknown_param",
      "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
      "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
      "permessage-deflate; server_no_context_takeover=1",
      "permessage-deflate; client_no_context_takeover=true",
      "permessage-deflate; server_max_window_bits",
      "permessage-deflate; server_max_window_bits=7",
      "permessage-deflate; server_max_window_bits=16",
      "permessage-deflate; server_max_window_bits=010",
      "permessage-deflate; server_max_window_bits=9.5",
      'permessage-deflate; server_max_window_bits="1 0"',
      "permessage-deflate; client_max_window_bits=0",
      "permessage-deflate; client_max_window_bits=abc",
      // zlib cannot compress with a 256-byte window.
      "permessage-deflate; server_max_window_bits=8",
    ]
  ) {
    assert.deepEqual(
      answer(bad),
      { accepted: null, reason: "no acceptable offer" },
      bad,
    );
    assert.equal(
      response(`${bad}, permessage-deflate; server_max_window_bits=11`),
      "permessage-deflate; server_max_window_bits=11",
      bad,
    );
  }
  // A client window of 8 is fine: the server only inflates with it.
  assert.equal(
    response("permessage-deflate; client_max_window_bits=8"),
    "permessage-deflate; client_max_window_bits=8",
  );
});

Deno.test("the first acceptable offer wins, other extensions are skipped", () => {
  assert.equal(
    response(
      "x-foo; bar, permessage-deflate; server_max_window_bits=10, permessage-deflate",
    ),
    "permessage-deflate; server_max_window_bits=10",
  );
  // Two header lines joined with ", ".
  assert.equal(
    response(
      "permessage-deflate; server_max_window_bits=8, permessage-deflate; client_no_context_takeover",
    ),
    "permessage-deflate; client_no_context_takeover",
  );
});

/**
 * Every offer Autobahn|Testsuite 12.* and 13.* makes (its
 * PerMessageDeflateOffer.getExtensionString: acceptNoContextTakeover and
 * acceptMaxWindowBits default to true) and the answer each must get.
 */
Deno.test("every Autobahn 12.* and 13.* offer is accepted", () => {
  const base =
    "permessage-deflate; client_no_context_takeover; client_max_window_bits";
  const cases: Array<[string, string]> = [
    [base, "permessage-deflate; client_no_context_takeover"],
    [
      `${base}; server_no_context_takeover`,
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    ],
    ...[9, 15].map((bits): [string, string] => [
      `${base}; server_max_window_bits=${bits}`,
      `permessage-deflate; client_no_context_takeover; server_max_window_bits=${bits}`,
    ]),
    ...[9, 15].map((bits): [string, string] => [
      `${base}; server_no_context_takeover; server_max_window_bits=${bits}`,
      `permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=${bits}`,
    ]),
    [
      `${base}; server_no_context_takeover; server_max_window_bits=9, ${base}; server_no_context_takeover, ${base}`,
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9",
    ],
  ];
  for (let bits = 9; bits <= 15; bits++) {
    cases.push([
      `${base}; server_max_window_bits=${bits}`,
      `permessage-deflate; client_no_context_takeover; server_max_window_bits=${bits}`,
    ]);
  }
  for (const [offer, expected] of cases) {
    assert.equal(response(offer), expected, offer);
  }
  const windowed = answer(`${base}; server_max_window_bits=9`);
  assert.equal(windowed.accepted?.serverMaxWindowBits, 9);
});
