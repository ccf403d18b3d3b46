// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {BlobData} from "../src/BlobData.sol";
import {Rust} from "./utils/Rust.sol";

contract BlobDataTest is Test {
    BlobData internal data = new BlobData();

    function payload(uint256 length, uint256 seed) internal pure returns (bytes memory out) {
        out = new bytes(length);
        for (uint256 i = 0; i < length; ++i) {
            out[i] = bytes1(uint8(uint256(keccak256(abi.encode(seed, i / 32))) >> (i % 32)));
        }
    }

    function opening(bytes memory p)
        internal
        returns (bytes32[] memory elements, BlobData.Opening memory o)
    {
        string[] memory args = new string[](4);
        (args[0], args[1], args[2], args[3]) = ("blob", "open", "--payload", Rust.scratch(p));
        (elements, o) = abi.decode(Rust.run(args), (bytes32[], BlobData.Opening));
    }

    function range(bytes memory p, uint256 start, uint256 end)
        internal
        returns (BlobData.RangeProof memory)
    {
        string[] memory args = new string[](8);
        (args[0], args[1], args[2], args[3]) = ("blob", "range", "--payload", Rust.scratch(p));
        (args[4], args[5], args[6], args[7]) =
        ("--start", vm.toString(start), "--end", vm.toString(end));
        return abi.decode(Rust.run(args), (BlobData.RangeProof));
    }

    function slice(bytes memory p, uint256 start, uint256 end)
        internal
        pure
        returns (bytes memory out)
    {
        out = new bytes(end - start);
        for (uint256 i = start; i < end; ++i) {
            out[i - start] = p[i];
        }
    }

    function test_OpensABlobAndProvesByteRanges() public {
        bytes memory p = payload(5000, 1);
        (bytes32[] memory elements, BlobData.Opening memory o) = opening(p);
        uint256 gasBefore = gasleft();
        bytes32 root = data.open(elements, o);
        vm.snapshotValue("BlobData", "open (4096 elements, execution)", gasBefore - gasleft());
        assertEq(data.roots(o.versionedHash), root);

        // A range inside one element, one across elements, and one crossing the payload's end.
        uint256[3][3] memory cases =
            [[uint256(3), 20, 0], [uint256(25), 1200, 0], [uint256(4990), 5000, 0]];
        for (uint256 i = 0; i < cases.length; ++i) {
            (uint256 start, uint256 end) = (cases[i][0], cases[i][1]);
            bytes memory got = data.read(o.versionedHash, start, end - start, range(p, start, end));
            assertEq(got, slice(p, start, end));
        }
    }

    function test_RevertWhen_ElementsAreNotTheBlobs() public {
        bytes memory p = payload(300, 2);
        (bytes32[] memory elements, BlobData.Opening memory o) = opening(p);
        elements[7] = bytes32(uint256(elements[7]) ^ 1);
        // Other elements give another root, so another point.
        vm.expectRevert(BlobData.WrongPoint.selector);
        data.open(elements, o);
    }

    function test_RevertWhen_OpeningIsForgedAtTheRightPoint() public {
        bytes memory p = payload(300, 3);
        (bytes32[] memory elements, BlobData.Opening memory o) = opening(p);
        o.y = bytes32(uint256(o.y) ^ 1);
        vm.expectRevert(BlobData.WrongEvaluation.selector);
        data.open(elements, o);
    }

    function test_RevertWhen_ProofIsNotTheCommitments() public {
        bytes memory p = payload(300, 4);
        (bytes32[] memory elements, BlobData.Opening memory o) = opening(p);
        o.proof[10] = bytes1(uint8(o.proof[10]) ^ 1);
        vm.expectRevert(BlobData.BadOpening.selector);
        data.open(elements, o);
    }

    function test_RevertWhen_WrongElementCount() public {
        BlobData.Opening memory o;
        vm.expectRevert(abi.encodeWithSelector(BlobData.WrongElementCount.selector, 3));
        data.open(new bytes32[](3), o);
    }

    function test_RevertWhen_ReadingUnopenedOrWithABadProof() public {
        bytes memory p = payload(200, 5);
        (bytes32[] memory elements, BlobData.Opening memory o) = opening(p);
        BlobData.RangeProof memory proof = range(p, 10, 70);
        vm.expectRevert(abi.encodeWithSelector(BlobData.NotOpened.selector, o.versionedHash));
        data.read(o.versionedHash, 10, 60, proof);

        data.open(elements, o);
        proof.elements[1] = bytes32(uint256(proof.elements[1]) ^ 1);
        vm.expectRevert(BlobData.BadRangeProof.selector);
        data.read(o.versionedHash, 10, 60, proof);
        // A proof of other elements than the range's.
        BlobData.RangeProof memory other = range(p, 10, 70);
        vm.expectRevert(BlobData.BadRangeProof.selector);
        data.read(o.versionedHash, 40, 60, other);
    }
}
