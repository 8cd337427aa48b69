/**
 * The service definitions in deploy/ that cannot run here: the systemd
 * unit (checked by `systemd-analyze verify` where installed, and by its
 * fields always) and the Kubernetes manifest (parsed, fields checked:
 * `kubectl apply --dry-run=client` needs an API server even with
 * --validate=false). And the rule that every file under deploy/ is
 * exercised by a test or says in its header what was verified.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { ROOT } from "../helpers/server.ts";
import { missingTool, skippable } from "../helpers/skip.ts";

const UNIT = "deploy/systemd/wsecho.service";
const MANIFEST = "deploy/kubernetes/wsecho.yaml";

/** `Key=value` lines of a unit file, by key (comments skipped). */
function unitFields(text: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    fields.set(match[1], [...(fields.get(match[1]) ?? []), match[2]]);
  }
  return fields;
}

/** The number after `--shutdown-timeout` in an argument list. */
function shutdownTimeout(args: string[]): number {
  const index = args.indexOf("--shutdown-timeout");
  assert.ok(index >= 0, "--shutdown-timeout is given explicitly");
  return Number(args[index + 1]);
}

Deno.test(`${UNIT}: sandboxed, no capabilities, stop timeout above --shutdown-timeout`, () => {
  const fields = unitFields(Deno.readTextFileSync(ROOT + UNIT));
  const one = (key: string) => {
    const values = fields.get(key);
    assert.equal(values?.length, 1, `${key} set once`);
    return values![0];
  };
  for (
    const key of [
      "DynamicUser",
      "NoNewPrivileges",
      "PrivateTmp",
      "PrivateDevices",
      "ProtectHome",
    ]
  ) {
    assert.equal(one(key), "yes", key);
  }
  assert.equal(one("ProtectSystem"), "strict");
  assert.deepEqual(
    one("RestrictAddressFamilies").split(" ").sort(),
    ["AF_INET", "AF_INET6", "AF_UNIX"],
  );
  assert.equal(one("CapabilityBoundingSet"), "", "no capabilities");
  assert.equal(one("AmbientCapabilities"), "");
  // V8 and JavaScriptCore need writable executable memory for their JIT.
  assert.ok(!fields.has("MemoryDenyWriteExecute"));
  assert.equal(one("KillSignal"), "SIGTERM");
  const execStart = one("ExecStart").split(/\s+/);
  const stopSeconds = Number(one("TimeoutStopSec"));
  assert.ok(
    stopSeconds > shutdownTimeout(execStart),
    `TimeoutStopSec ${stopSeconds} > --shutdown-timeout ${
      shutdownTimeout(execStart)
    }`,
  );
});

Deno.test({
  ...skippable(
    `${UNIT}: systemd-analyze verify accepts it without a warning`,
    missingTool(
      existsSync("/usr/bin/systemd-analyze"),
      "no systemd-analyze (apt-get install systemd)",
    ),
  ),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "wsecho-unit-" });
    try {
      // verify checks that ExecStart's binary exists: point it at one that
      // does (the unit expects a compiled wsecho in /usr/local/bin).
      const unit = Deno.readTextFileSync(ROOT + UNIT).replace(
        "ExecStart=/usr/local/bin/wsecho ",
        `ExecStart=${Deno.execPath()} `,
      );
      await Deno.writeTextFile(`${dir}/wsecho.service`, unit);
      const { code, stdout, stderr } = await new Deno.Command(
        "systemd-analyze",
        { args: ["verify", `${dir}/wsecho.service`] },
      ).output();
      const output = new TextDecoder().decode(stdout) +
        new TextDecoder().decode(stderr);
      assert.equal(code, 0, output);
      // Unknown keys are only warnings (exit 0): any output is a failure.
      assert.equal(output, "");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// deno-lint-ignore no-explicit-any
type Manifest = any;

Deno.test(`${MANIFEST}: probes on /healthz, grace period above preStop + --shutdown-timeout, Service and PDB select the pods`, () => {
  const documents = parseAllDocuments(Deno.readTextFileSync(ROOT + MANIFEST));
  for (const document of documents) assert.deepEqual(document.errors, []);
  const objects: Manifest[] = documents.map((document) => document.toJS());
  const byKind = new Map(objects.map((object) => [object.kind, object]));
  assert.deepEqual(
    [...byKind.keys()].sort(),
    ["Deployment", "PodDisruptionBudget", "Service"],
  );
  const deployment = byKind.get("Deployment");
  assert.equal(deployment.apiVersion, "apps/v1");
  const labels = deployment.spec.template.metadata.labels;
  assert.deepEqual(deployment.spec.selector.matchLabels, labels);
  assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0);

  const pod = deployment.spec.template.spec;
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(pod.containers.length, 1);
  const [container] = pod.containers;
  assert.equal(container.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(container.securityContext.capabilities.drop, ["ALL"]);

  // The port: PORT, the container port and the probes' named port agree.
  const port = container.ports.find((p: Manifest) => p.name === "ws");
  const env = Object.fromEntries(
    container.env.map((e: Manifest) => [e.name, e.value]),
  );
  assert.equal(String(port.containerPort), env.PORT);
  for (const probe of ["readinessProbe", "livenessProbe"]) {
    assert.equal(container[probe].httpGet.path, "/healthz", probe);
    assert.equal(container[probe].httpGet.port, "ws", probe);
  }

  // Draining fits in the grace period: preStop pause, then the shutdown.
  const pause = container.lifecycle.preStop.sleep.seconds;
  assert.ok(pause > 0, "a preStop pause");
  const shutdown = shutdownTimeout(container.args);
  assert.ok(
    pod.terminationGracePeriodSeconds > pause + shutdown,
    `grace ${pod.terminationGracePeriodSeconds} s > preStop ${pause} s + shutdown ${shutdown} s`,
  );

  const service = byKind.get("Service");
  assert.deepEqual(service.spec.selector, labels);
  assert.equal(service.spec.ports[0].targetPort, "ws");
  const budget = byKind.get("PodDisruptionBudget");
  assert.equal(budget.apiVersion, "policy/v1");
  assert.deepEqual(budget.spec.selector.matchLabels, labels);
  assert.ok(budget.spec.maxUnavailable >= 1 || budget.spec.minAvailable);
});

Deno.test("every file under deploy/ (and the Dockerfile) names the test that exercises it or says what was verified", async () => {
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(ROOT + dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else files.push(path);
    }
  };
  await walk("deploy");
  assert.ok(files.length >= 7, files.join(", "));
  files.push("Dockerfile");
  for (const file of files) {
    const header = (await Deno.readTextFile(ROOT + file)).slice(0, 2000);
    const named = [...header.matchAll(/tests\/e2e\/\w+_test\.ts/g)]
      .map(([path]) => path);
    assert.ok(named.length > 0, `${file} names its test`);
    for (const test of named) assert.ok(existsSync(ROOT + test), test);
    assert.match(header, /tested|verified|exercised by/i, file);
  }
});
