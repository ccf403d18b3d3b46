// A dapp's everyday flows through viem and ethers against one chain's JSON-RPC: balance, fees, a
// transfer waited for, a contract deployed, simulated, written and read, a custom error decoded,
// events read by getLogs and by a filter watcher. Any failure throws, so node exits non-zero.
//
//   node clients/dapp.mjs NAME RPC_URL CHAIN_ID PRIVATE_KEY
//
// toolkit's tests run it against the L1 devnet and the L2 of `toolkit network`.

import assert from "node:assert/strict";
import { createRequire } from "node:module";

import { ethers } from "ethers";
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

const solc = createRequire(import.meta.url)("solc");

const [name, url, chainId, key] = process.argv.slice(2);
if (!key) {
  throw new Error("usage: node clients/dapp.mjs NAME RPC_URL CHAIN_ID PRIVATE_KEY");
}

const SOURCE = `
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;
contract Counter {
    error TooBig(uint256 value, uint256 max);
    event Set(address indexed by, uint256 value);
    uint256 public value;
    function set(uint256 next) external {
        if (next > 100) revert TooBig(next, 100);
        value = next;
        emit Set(msg.sender, next);
    }
}`;

function compile() {
  const input = {
    language: "Solidity",
    sources: { "Counter.sol": { content: SOURCE } },
    settings: {
      evmVersion: "cancun",
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  assert.equal(errors.length, 0, JSON.stringify(errors));
  const counter = output.contracts["Counter.sol"].Counter;
  return { abi: counter.abi, bytecode: `0x${counter.evm.bytecode.object}` };
}

async function until(what, check) {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${name}: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const { abi, bytecode } = compile();
const recipient = "0x000000000000000000000000000000000000bEEF";

async function withViem() {
  const chain = defineChain({
    id: Number(chainId),
    name,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  const account = privateKeyToAccount(key);
  const client = createPublicClient({ chain, transport: http(url), pollingInterval: 200 });
  const wallet = createWalletClient({ account, chain, transport: http(url) });

  assert.equal(await client.getChainId(), Number(chainId));
  assert.ok((await client.getBalance({ address: account.address })) > 0n, "a funded key");
  const fees = await client.estimateFeesPerGas();
  assert.ok(fees.maxFeePerGas >= fees.maxPriorityFeePerGas);

  const before = await client.getBalance({ address: recipient });
  const sent = await wallet.sendTransaction({ to: recipient, value: 1234n });
  const receipt = await client.waitForTransactionReceipt({ hash: sent });
  assert.equal(receipt.status, "success");
  assert.equal(receipt.gasUsed, 21000n);
  assert.equal((await client.getTransaction({ hash: sent })).from, account.address.toLowerCase());
  assert.equal(await client.getBalance({ address: recipient }), before + 1234n);

  const deployed = await wallet.deployContract({ abi, bytecode });
  const { contractAddress: address } = await client.waitForTransactionReceipt({ hash: deployed });
  assert.ok(address, "the receipt names the new contract");

  const watched = [];
  const unwatch = client.watchContractEvent({
    address,
    abi,
    eventName: "Set",
    poll: true,
    onLogs: (logs) => watched.push(...logs),
  });
  const { request } = await client.simulateContract({
    account,
    address,
    abi,
    functionName: "set",
    args: [7n],
  });
  await client.waitForTransactionReceipt({ hash: await wallet.writeContract(request) });
  assert.equal(await client.readContract({ address, abi, functionName: "value" }), 7n);

  try {
    await client.simulateContract({ account, address, abi, functionName: "set", args: [1000n] });
    assert.fail("set(1000) must revert");
  } catch (err) {
    assert.ok(err instanceof BaseError, String(err));
    const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
    assert.equal(reverted?.data?.errorName, "TooBig", String(err));
    assert.deepEqual(reverted.data.args, [1000n, 100n]);
  }

  const logs = await client.getContractEvents({ address, abi, eventName: "Set", fromBlock: 0n });
  assert.equal(logs.length, 1);
  assert.equal(logs[0].args.value, 7n);
  assert.equal(logs[0].args.by, account.address);
  await until("the watcher's event", () => watched.length > 0);
  unwatch();
  assert.equal(watched[0].args.value, 7n);
  console.log(`${name}: viem ok (contract ${address})`);
}

async function withEthers() {
  const provider = new ethers.JsonRpcProvider(url, Number(chainId), {
    staticNetwork: true,
    cacheTimeout: -1,
    pollingInterval: 200,
  });
  const signer = new ethers.Wallet(key, provider);
  assert.ok((await provider.getBalance(signer.address)) > 0n);
  const fees = await provider.getFeeData();
  assert.ok(fees.maxFeePerGas > 0n);

  const transfer = await signer.sendTransaction({ to: recipient, value: 1n });
  assert.equal((await transfer.wait()).status, 1);

  const counter = await new ethers.ContractFactory(abi, bytecode, signer).deploy();
  await counter.waitForDeployment();
  const heard = new Promise((resolve) => counter.once("Set", (by, value) => resolve({ by, value })));
  assert.equal((await (await counter.set(9n)).wait()).status, 1);
  assert.equal(await counter.value(), 9n);

  try {
    await counter.set.staticCall(101n);
    assert.fail("set(101) must revert");
  } catch (err) {
    assert.equal(err.revert?.name, "TooBig", String(err));
    assert.deepEqual([...err.revert.args], [101n, 100n]);
  }

  const events = await counter.queryFilter("Set", 0);
  assert.equal(events.length, 1);
  assert.equal(events[0].args.value, 9n);
  const event = await Promise.race([
    heard,
    new Promise((_, reject) => setTimeout(() => reject(new Error("no Set event heard")), 60_000)),
  ]);
  assert.equal(event.value, 9n);
  assert.equal(event.by, signer.address);
  counter.removeAllListeners();
  provider.destroy();
  console.log(`${name}: ethers ok (contract ${await counter.getAddress()})`);
}

await withViem();
await withEthers();
