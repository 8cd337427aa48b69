/**
 * The two help texts, built from the defaults and bounds in
 * lib/config/options.ts so that they can never disagree with the parsers.
 */
import {
  GOING_AWAY,
  MESSAGE_TOO_BIG,
  NORMAL_CLOSURE,
  POLICY_VIOLATION,
} from "../core/close_codes.ts";
import { formatBytes } from "../core/payload.ts";
import {
  CLIENT_CLOSE_TIMEOUT_MS,
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_HOST,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_MAX_BUFFERED,
  DEFAULT_MAX_CLIENTS,
  DEFAULT_MAX_MESSAGE,
  DEFAULT_PORT,
  DEFAULT_SHUTDOWN_TIMEOUT,
  DEFAULT_WORKERS,
  SHUTDOWN_EXIT_ALLOWANCE_MS,
} from "../config/options.ts";

/** `wsecho --help`. */
export const SERVER_HELP: string = `Usage: wsecho [options]
  where wsecho is how you start it: deno run -A main.ts, bun main.ts, or the
  command from deno task install, deno task compile or compile:bun.

An RFC 6455 WebSocket echo server: every text and binary message is sent
back to its sender, text as text and binary as binary.

Options:
  -p, --port PORT        port to listen on (default ${DEFAULT_PORT}, or $PORT;
                         0 picks a free port)
  -H, --host HOST        address to listen on (default ${DEFAULT_HOST}, all IPv4
                         interfaces; "::" for all IPv6 and IPv4 interfaces)
  -d, --debug            log every message, connect and disconnect
      --log-format FMT   "pretty" (default) or "json" (JSON Lines)
  -h, --help             show this help and exit
  -V, --version          show the version and exit

Access and transport:
      --origin ORIGIN    allow browser pages from ORIGIN (repeatable, e.g.
                         https://example.com); others get 403. Default: any
      --require-origin   with --origin: also refuse clients that send no
                         Origin header (non-browser clients send none)
      --protocol NAME    a subprotocol we speak (repeatable); the first the
                         client offers is chosen. Default: none
      --max-clients N    most clients at once, others get 503 (default ${DEFAULT_MAX_CLIENTS},
                         unlimited)
      --engine NAME      "builtin" (default): the runtime's own WebSocket
                         engine; "wsecho": ours, strict RFC 6455 and
                         permessage-deflate over raw sockets (Deno only,
                         not under 'deno serve'; Bun's built-in is strict)
      --cert FILE        PEM certificate chain: serve wss:// and https://
      --key FILE         PEM private key for --cert
      --trust-proxy ADDR[/BITS]
                         a reverse proxy whose X-Forwarded-For or Forwarded
                         header names the client, in logs and /healthz
                         (repeatable; IPv4 or IPv6, e.g. 127.0.0.1,
                         10.0.0.0/8). Default: none; the headers are ignored

Scaling:
  -w, --workers N        serve the port from N processes (Bun on Linux,
                         SO_REUSEPORT; default ${DEFAULT_WORKERS}). On Deno use
                         'deno serve --parallel main.ts' instead.

Limits (BYTES: a whole number, or with a unit: 64KiB, 16MiB):
      --max-message BYTES      largest message echoed; larger ones close
                               the connection with ${MESSAGE_TOO_BIG} (default ${
  formatBytes(DEFAULT_MAX_MESSAGE)
})
      --max-buffered BYTES     bytes queued for a client that does not read
                               before it is closed with ${POLICY_VIOLATION} (default ${
  formatBytes(DEFAULT_MAX_BUFFERED)
})
      --idle-timeout SECONDS   ping silent peers and drop those that do not
                               answer within SECONDS (default ${DEFAULT_IDLE_TIMEOUT}; 0: never)
      --shutdown-timeout SECONDS
                               on SIGINT/SIGTERM, exit within SECONDS, waiting
                               for clients to close until ${
  SHUTDOWN_EXIT_ALLOWANCE_MS / 1000
} s before
                               (default ${DEFAULT_SHUTDOWN_TIMEOUT})
      --handshake-timeout SECONDS
                               time a connection has to send its request
                               head, then 408 (default ${DEFAULT_HANDSHAKE_TIMEOUT}; 0: never).
                               --engine wsecho only: Deno's built-in engine
                               and Bun have their own timeouts or none
      --permessage-deflate     negotiate compression (Bun, --engine wsecho;
                               Deno's built-in engine cannot)

Console client: wsecho client URL [options] (see wsecho client --help).

HTTP routes: GET / (browser echo client), GET /healthz (JSON status),
GET /metrics (Prometheus). Any path accepts a WebSocket upgrade.
`;

/** `wsecho client --help`. */
export const CLIENT_HELP: string = `Usage: wsecho client URL [options]

Connects to the WebSocket echo server at URL (ws:// or wss://), sends each
line read from stdin as a message, and prints each echo on stdout: text as
it came back, binary as lowercase hex. Exits 0 once stdin has ended, every
echo has arrived and the connection has closed cleanly (code ${NORMAL_CLOSURE}).
On connect, one line on stderr gives the negotiated subprotocol and
extensions. Ctrl-C closes with ${GOING_AWAY} and waits up to ${
  CLIENT_CLOSE_TIMEOUT_MS / 1000
} s for the server's close.

What to send:
  -m, --message TEXT     send TEXT once instead of reading stdin
  -b, --binary           send each stdin line's bytes, exactly as read (no
                         decoding; a CR before LF is kept), as binary
      --hex              each stdin line (or --message) is hex, e.g. 'fffe'
                         or 'ff fe'; send those bytes as one binary message
      --file PATH        send the file as one binary message and check that
                         the echo is the same, byte for byte

Handshake:
  -H, --header 'Name: value'
                         add a request header (repeatable)
      --protocol NAME    offer subprotocol NAME (repeatable, in preference
                         order)
      --origin ORIGIN    send 'Origin: ORIGIN', as a browser page would

TLS (wss://):
      --ca FILE          trust the PEM certificate(s) in FILE (instead of the
                         system's list), e.g. the server's self-signed one
  -k, --insecure         accept any certificate (warns; testing only)

Output:
  -d, --debug            log the response headers, and each echo with its
                         round-trip time (stderr)
      --log-format FMT   "pretty" (default) or "json" (JSON Lines)
  -h, --help             show this help and exit
  -V, --version          show the version and exit

Exit codes: 0 all echoes received; 1 cannot connect (refused, untrusted
certificate, handshake refused), or the connection closed before every echo
arrived; 2 bad command line, bad --hex line or unreadable --file; 3 --file's
echo differs; 130 interrupted (Ctrl-C).
`;
