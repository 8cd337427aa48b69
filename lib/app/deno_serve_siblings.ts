/**
 * `deno serve --parallel` runs main.ts once per worker: one isolate each,
 * all in one process, each with its own echo hub. On SIGINT/SIGTERM every
 * worker drains its own clients, but `process.exit()` in any worker ends
 * them all, so the first worker to finish would cut the others' close
 * handshakes short. The workers therefore tell each other over a
 * `BroadcastChannel` (Deno delivers it between all isolates of a process)
 * that they serve and when they are done; the exit happens once every
 * serving worker is.
 */
import process from "node:process";

const CHANNEL = "wsecho:deno-serve";

type Message =
  /** A worker started serving (it has clients to drain on shutdown). */
  | { type: "hello"; id: string }
  /** Reply to "hello", so that late starters learn the earlier ones. */
  | { type: "here"; id: string }
  /** A worker finished draining and would exit with `code`. */
  | { type: "done"; id: string; code: number };

/** This isolate's part in the conversation; one per isolate. */
class DenoServeSiblings {
  private readonly id = crypto.randomUUID();
  private channel: BroadcastChannel | undefined;
  private readonly members = new Set<string>();
  private readonly done = new Map<string, number>();
  private onChange: (() => void) | undefined;
  private onContact: (() => void) | undefined;

  private post(message: Message): void {
    // Opened on first use only: a `deno run` never needs it, and an open
    // channel keeps a process alive.
    if (!this.channel) {
      this.channel = new BroadcastChannel(CHANNEL);
      this.channel.onmessage = (event) => this.receive(event.data);
    }
    this.channel.postMessage(message);
  }

  private receive(message: Message): void {
    this.members.add(message.id);
    const contact = this.onContact;
    this.onContact = undefined;
    contact?.();
    switch (message.type) {
      case "hello":
        if (this.members.has(this.id)) {
          this.post({ type: "here", id: this.id });
        }
        break;
      case "done":
        this.done.set(message.id, message.code);
        break;
    }
    this.onChange?.();
  }

  /** Workers known to serve, this one included once it has joined. */
  get size(): number {
    return this.members.size;
  }

  /**
   * Calls `callback` once, when the first message from a sibling arrives:
   * proof of `deno serve --parallel` (a `deno run` has no siblings).
   */
  onFirstContact(callback: () => void): void {
    if (this.members.size > 1) callback();
    else this.onContact = callback;
  }

  /** This worker serves requests and will drain on shutdown. */
  join(): void {
    if (this.members.has(this.id)) return;
    this.members.add(this.id);
    this.post({ type: "hello", id: this.id });
  }

  /**
   * Reports this worker done with `code` and exits the process once every
   * serving worker is done (or `deadlineMs` after this call at the latest,
   * should a sibling hang). The exit code is the worst one reported.
   */
  exitWhenAllDone(code: number, deadlineMs: number): void {
    this.join();
    this.done.set(this.id, code);
    this.post({ type: "done", id: this.id, code });
    const exitIfAllDone = () => {
      if ([...this.members].every((id) => this.done.has(id))) {
        process.exit(Math.max(...this.done.values()));
      }
    };
    this.onChange = exitIfAllDone;
    setTimeout(() => process.exit(Math.max(1, code)), deadlineMs);
    exitIfAllDone();
  }
}

/** The one {@linkcode DenoServeSiblings} of this isolate. */
export const siblings: DenoServeSiblings = new DenoServeSiblings();
