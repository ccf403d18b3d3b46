// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Rollup} from "../../src/Rollup.sol";

/// @notice The stakes and clocks of the tests' rollups: 1-day window, 1-hour clocks, 1 and 0.5
/// ether bonds.
function testConfig(uint64 degree, uint64 gasLimit, address feeRecipient)
    pure
    returns (Rollup.Config memory)
{
    return Rollup.Config({
        challengeWindow: 1 days,
        clock: 1 hours,
        proposalBond: 1 ether,
        challengeBond: 0.5 ether,
        degree: degree,
        gasLimit: gasLimit,
        feeRecipient: feeRecipient
    });
}

/// @notice Every function of the rollup an outsider or a player can call, by selector.
function rollupSelectors() pure returns (bytes4[12] memory) {
    return [
        Rollup.propose.selector,
        Rollup.challenge.selector,
        Rollup.split.selector,
        Rollup.pick.selector,
        Rollup.openBlock.selector,
        Rollup.proveCandidate.selector,
        Rollup.proveEnd.selector,
        Rollup.resolve.selector,
        Rollup.cancel.selector,
        Rollup.finalize.selector,
        Rollup.rejectOrphan.selector,
        Rollup.withdraw.selector
    ];
}
