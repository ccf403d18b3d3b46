#!/usr/bin/env node
// The compiled contracts the Rust side embeds (through alloy's `sol!`): ABI and bytecode, taken
// from forge's build output. `node artifacts.js write` refreshes them after `forge build`;
// `node artifacts.js check` fails if the committed ones differ from what the sources compile to.
"use strict";
const fs = require("fs");
const path = require("path");

const CONTRACTS = ["Inbox", "BlobData", "Rollup", "Bridge", "L2Bridge"];
const mode = process.argv[2];

let stale = [];
for (const name of CONTRACTS) {
  const built = JSON.parse(fs.readFileSync(path.join(__dirname, "out", `${name}.sol`, `${name}.json`)));
  const artifact = JSON.stringify(
    { abi: built.abi, bytecode: built.bytecode.object, deployedBytecode: built.deployedBytecode.object },
    null,
    1,
  ) + "\n";
  const file = path.join(__dirname, "artifacts", `${name}.json`);
  if (mode === "write") {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, artifact);
  } else if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== artifact) {
    stale.push(name);
  }
}
if (mode !== "write" && stale.length) {
  console.error(`artifacts differ from the sources: ${stale.join(", ")}; run: forge build && node artifacts.js write`);
  process.exit(1);
}
