// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

/// @title BlobData
/// @notice Makes a blob's contents provable on L1. The EVM sees a blob only as a versioned hash,
/// so a blob is *opened* once by submitting its 4096 field elements: the contract computes their
/// Merkle root, derives the Fiat-Shamir point `z = keccak256(versionedHash ‖ root) mod p`,
/// evaluates the elements' polynomial at `z` and checks the KZG opening there with the
/// point-evaluation precompile. Since `z` depends on the root, elements other than the blob's
/// agree with it at `z` with probability at most 4096/p. Byte ranges of the blob's payload (bytes
/// 1..31 of each element) are then proven against the root.
contract BlobData {
    /// @notice Scalar field modulus of BLS12-381 (EIP-4844 `BLS_MODULUS`).
    uint256 internal constant P =
        0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001;
    /// @notice A primitive 4096th root of unity: 7^((p-1)/4096).
    uint256 internal constant OMEGA =
        0x564c0a11a0f704f4fc3e8acfe0f8245f0ad1347b378fbf96e206da11a5d36306;
    /// @notice OMEGA^-1.
    uint256 internal constant OMEGA_INV =
        0x391b2856c609b4784ae25ffab9dc59865046d17864183203961a252dd8543362;
    /// @notice 4096^-1.
    uint256 internal constant WIDTH_INV =
        0x73e66878b46ae3705eb6a46a89213de7d3686828bfce5c19400fffff00100001;
    uint256 internal constant WIDTH = 4096;
    uint256 internal constant DEPTH = 12;
    /// @notice Payload bytes per element.
    uint256 internal constant ELEMENT_PAYLOAD = 31;
    /// @notice Payload bytes of a blob.
    uint256 internal constant PAYLOAD_BYTES = WIDTH * ELEMENT_PAYLOAD;
    address internal constant POINT_EVALUATION = address(0x0a);
    /// @notice What the precompile costs (EIP-4844); a failing call burns what it is given.
    uint256 internal constant POINT_EVALUATION_GAS = 50_000;

    /// @notice The KZG opening `open` checks, at the Fiat-Shamir point.
    struct Opening {
        bytes32 versionedHash;
        bytes commitment;
        bytes32 z;
        bytes32 y;
        bytes proof;
    }

    /// @notice Elements `first..first + elements.length` of a blob and the Merkle siblings that
    /// prove them: per level from the leaves, the left neighbour if the range starts on a right
    /// child, then the right neighbour if it ends on a left child.
    struct RangeProof {
        uint256 first;
        bytes32[] elements;
        bytes32[] siblings;
    }

    /// @notice Merkle root of each opened blob's elements, by versioned hash.
    mapping(bytes32 versionedHash => bytes32 root) public roots;

    /// @notice A blob was opened.
    event Opened(bytes32 indexed versionedHash, bytes32 root);

    /// @notice Not 4096 elements.
    error WrongElementCount(uint256 count);
    /// @notice An element is not below the modulus.
    error ElementOutOfRange(uint256 index);
    /// @notice The point is not the Fiat-Shamir point of these elements.
    error WrongPoint();
    /// @notice The elements' polynomial does not take the opened value at the point.
    error WrongEvaluation();
    /// @notice The point-evaluation precompile rejected the opening.
    error BadOpening();
    /// @notice The blob was not opened.
    error NotOpened(bytes32 versionedHash);
    /// @notice The range proof does not prove the requested bytes.
    error BadRangeProof();

    /// @notice Opens a blob: records the Merkle root of `elements` if they are the blob's.
    function open(bytes32[] calldata elements, Opening calldata opening)
        external
        returns (bytes32 root)
    {
        if (elements.length != WIDTH) revert WrongElementCount(elements.length);
        root = merkleRoot(elements);
        uint256 z = uint256(keccak256(abi.encodePacked(opening.versionedHash, root))) % P;
        if (z != uint256(opening.z)) revert WrongPoint();
        if (evaluate(elements, z) != uint256(opening.y)) revert WrongEvaluation();
        (bool ok, bytes memory out) = POINT_EVALUATION.staticcall{gas: POINT_EVALUATION_GAS}(
            abi.encodePacked(
                opening.versionedHash, opening.z, opening.y, opening.commitment, opening.proof
            )
        );
        if (!ok || out.length != 64 || abi.decode(out, (uint256[2]))[1] != P) revert BadOpening();
        roots[opening.versionedHash] = root;
        emit Opened(opening.versionedHash, root);
    }

    /// @notice Payload bytes `start..start + length` of an opened blob. Costs a few gas per byte
    /// (each element's 31 payload bytes move in one word) and one Merkle path per range.
    function read(bytes32 versionedHash, uint256 start, uint256 length, RangeProof calldata proof)
        external
        view
        returns (bytes memory data)
    {
        bytes32 root = roots[versionedHash];
        if (root == bytes32(0)) revert NotOpened(versionedHash);
        if (length == 0) return data;
        if (start >= PAYLOAD_BYTES || length > PAYLOAD_BYTES - start) revert BadRangeProof();
        uint256 end = start + length;
        if (
            proof.first != start / ELEMENT_PAYLOAD
                || proof.elements.length != (end - 1) / ELEMENT_PAYLOAD - proof.first + 1
        ) revert BadRangeProof();
        if (rangeRoot(proof) != root) revert BadRangeProof();
        data = new bytes(length);
        bytes32[] calldata elements = proof.elements;
        assembly ("memory-safe") {
            let skip := mod(start, ELEMENT_PAYLOAD)
            let dst := add(data, 0x20)
            let limit := add(dst, length)
            let src := elements.offset
            // The first element from payload byte `skip` on; then 31 bytes of each. The last
            // word may spill past the end, which is cleared below.
            mstore(dst, shl(shl(3, add(1, skip)), calldataload(src)))
            dst := add(dst, sub(ELEMENT_PAYLOAD, skip))
            for {} lt(dst, limit) {} {
                src := add(src, 32)
                mstore(dst, shl(8, calldataload(src)))
                dst := add(dst, ELEMENT_PAYLOAD)
            }
            mstore(limit, 0)
        }
    }

    /// @notice Merkle root of 4096 leaves: a parent is `keccak256(left ‖ right)`.
    function merkleRoot(bytes32[] calldata leaves) internal pure returns (bytes32 root) {
        assembly ("memory-safe") {
            let buf := mload(0x40)
            calldatacopy(buf, leaves.offset, mul(WIDTH, 32))
            for { let n := WIDTH } gt(n, 1) { n := shr(1, n) } {
                for { let i := 0 } lt(i, n) { i := add(i, 2) } {
                    mstore(add(buf, shl(4, i)), keccak256(add(buf, shl(5, i)), 64))
                }
            }
            root := mload(buf)
        }
    }

    /// @notice The root over a proven range of leaves, hashed level by level in one buffer (the
    /// range, with room before it for the left siblings it takes on the way up).
    function rangeRoot(RangeProof calldata proof) internal pure returns (bytes32 root) {
        uint256 count = proof.elements.length;
        uint256 lo = proof.first;
        if (count == 0 || lo >= WIDTH || count > WIDTH - lo) revert BadRangeProof();
        bytes32[] calldata elements = proof.elements;
        bytes32[] calldata siblings = proof.siblings;
        bool bad;
        assembly ("memory-safe") {
            let p := add(mload(0x40), shl(5, DEPTH))
            calldatacopy(p, elements.offset, shl(5, count))
            let n := count
            let s := 0
            for { let level := 0 } lt(level, DEPTH) { level := add(level, 1) } {
                if and(lo, 1) {
                    bad := or(bad, iszero(lt(s, siblings.length)))
                    p := sub(p, 32)
                    mstore(p, calldataload(add(siblings.offset, shl(5, s))))
                    s := add(s, 1)
                    n := add(n, 1)
                    lo := sub(lo, 1)
                }
                if and(add(lo, n), 1) {
                    bad := or(bad, iszero(lt(s, siblings.length)))
                    mstore(add(p, shl(5, n)), calldataload(add(siblings.offset, shl(5, s))))
                    s := add(s, 1)
                    n := add(n, 1)
                }
                n := shr(1, n)
                for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                    mstore(add(p, shl(5, i)), keccak256(add(p, shl(6, i)), 64))
                }
                lo := shr(1, lo)
            }
            bad := or(bad, or(iszero(eq(n, 1)), iszero(eq(s, siblings.length))))
            root := mload(p)
        }
        if (bad) revert BadRangeProof();
    }

    /// @notice The polynomial with `elements` as its values on the roots of unity (bit-reversed,
    /// as EIP-4844 orders them) at `z`, by the barycentric formula
    /// `(z^N - 1)/N · Σ d_i·ω_i/(z - ω_i)` with one batch inversion.
    function evaluate(bytes32[] calldata elements, uint256 z) internal view returns (uint256 y) {
        for (uint256 i = 0; i < WIDTH; ++i) {
            if (uint256(elements[i]) >= P) revert ElementOutOfRange(i);
        }
        uint256 prefix;
        assembly ("memory-safe") {
            prefix := mload(0x40)
            // Forward: prefix[k] = Π_{t≤k} (z - ω^t); a zero factor means z is a root.
            let root := 1
            let acc := 1
            for { let k := 0 } lt(k, WIDTH) { k := add(k, 1) } {
                acc := mulmod(acc, addmod(z, sub(P, root), P), P)
                mstore(add(prefix, shl(5, k)), acc)
                root := mulmod(root, OMEGA, P)
            }
            mstore(0x40, add(prefix, shl(5, WIDTH)))
        }
        uint256 total;
        assembly ("memory-safe") {
            total := mload(add(prefix, shl(5, sub(WIDTH, 1))))
        }
        if (total == 0) revert WrongPoint();
        uint256 inv = modInverse(total);
        assembly ("memory-safe") {
            let sum := 0
            // Backward from ω^(N-1) = ω^-1: 1/(z - ω^k) = inv · prefix[k-1]; then inv ·= (z - ω^k).
            let root := OMEGA_INV
            for { let k := WIDTH } gt(k, 0) {} {
                k := sub(k, 1)
                let before := 1
                if k { before := mload(add(prefix, shl(5, sub(k, 1)))) }
                let term := mulmod(inv, before, P)
                // Element index of ω^k in bit-reversed order: reverse k's 12 bits.
                let r := k
                r := or(shl(1, and(r, 0x5555)), and(shr(1, r), 0x5555))
                r := or(shl(2, and(r, 0x3333)), and(shr(2, r), 0x3333))
                r := or(shl(4, and(r, 0x0f0f)), and(shr(4, r), 0x0f0f))
                r := shr(4, or(shl(8, and(r, 0x00ff)), and(shr(8, r), 0x00ff)))
                let d := calldataload(add(elements.offset, shl(5, r)))
                sum := addmod(sum, mulmod(mulmod(d, root, P), term, P), P)
                inv := mulmod(inv, addmod(z, sub(P, root), P), P)
                root := mulmod(root, OMEGA_INV, P)
            }
            y := sum
        }
        // (z^N - 1) / N
        uint256 zn = z;
        for (uint256 i = 0; i < DEPTH; ++i) {
            zn = mulmod(zn, zn, P);
        }
        y = mulmod(y, mulmod(addmod(zn, P - 1, P), WIDTH_INV, P), P);
    }

    /// @notice `a^(p-2) mod p` by the modexp precompile.
    function modInverse(uint256 a) internal view returns (uint256 result) {
        (bool ok, bytes memory out) = address(0x05).staticcall(abi.encode(32, 32, 32, a, P - 2, P));
        if (!ok) revert WrongPoint();
        result = abi.decode(out, (uint256));
    }
}
