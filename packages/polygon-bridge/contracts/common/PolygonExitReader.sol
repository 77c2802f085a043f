// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Memory} from "@openzeppelin/contracts/utils/Memory.sol";
import {RLP} from "@openzeppelin/contracts/utils/RLP.sol";
import {TrieProof} from "@openzeppelin/contracts/utils/cryptography/TrieProof.sol";
import {ICheckpointManager} from "../interfaces/IPolygonInfrastructure.sol";

/// @title Reads a Polygon child-chain log proven against an Ethereum checkpoint, at most once.
/// @notice The payload is Polygon's exit payload (as FxPortal and the PoS bridge take it): the RLP list
///   [headerNumber, blockProof, blockNumber, blockTime, txRoot, receiptRoot, receipt, receiptProof, branchMask,
///    receiptLogIndex]
/// - the checkpoint `headerBlocks(headerNumber)` commits to keccak256(blockNumber ‖ blockTime ‖ txRoot ‖
///   receiptRoot) at index blockNumber − start of a binary Merkle tree (`blockProof`: 32-byte siblings, leaf
///   first);
/// - `receipt` (typed receipts keep their type byte) sits in the block's receipts trie under key rlp(txIndex),
///   proven by `receiptProof` (the RLP list of trie nodes); `branchMask` is 0x00 ‖ rlp(txIndex);
/// - the log is the `receiptLogIndex`-th log of that receipt.
/// An exit is identified by (blockNumber, rlp(txIndex), receiptLogIndex).
abstract contract PolygonExitReader {
    using RLP for bytes;
    using RLP for Memory.Slice;
    using Memory for Memory.Slice;

    ICheckpointManager public immutable checkpointManager;
    mapping(bytes32 exitId => bool) public processedExits;

    error UnknownCheckpoint(uint256 headerNumber);
    error BlockNotInCheckpoint(uint256 blockNumber, uint256 start, uint256 end);
    error ExitAlreadyProcessed(bytes32 exitId);
    error InvalidBlockProof();
    error InvalidReceiptProof();
    error InvalidBranchMask();

    constructor(ICheckpointManager checkpointManager_) {
        checkpointManager = checkpointManager_;
    }

    function _readCheckpointedLog(bytes memory payload)
        internal
        returns (bytes32 exitId, address emitter, bytes32[] memory topics, bytes memory data)
    {
        Memory.Slice[] memory f = payload.decodeList();
        uint256 blockNumber = f[2].readUint256();
        bytes32 receiptRoot = f[5].readBytes32();
        bytes memory receipt = f[6].readBytes();
        bytes memory key = _keyOf(f[8].readBytes());
        uint256 logIndex = f[9].readUint256();

        exitId = keccak256(abi.encodePacked(blockNumber, key, logIndex));
        if (processedExits[exitId]) revert ExitAlreadyProcessed(exitId);
        _checkBlockInCheckpoint(
            f[0].readUint256(), blockNumber, f[3].readUint256(), f[4].readBytes32(), receiptRoot, f[1].readBytes()
        );
        if (!TrieProof.verify(receipt, receiptRoot, key, _proofNodes(f[7].readBytes()))) {
            revert InvalidReceiptProof();
        }
        (emitter, topics, data) = _logOf(receipt, logIndex);
        processedExits[exitId] = true;
    }

    function _checkBlockInCheckpoint(
        uint256 headerNumber,
        uint256 blockNumber,
        uint256 blockTime,
        bytes32 txRoot,
        bytes32 receiptRoot,
        bytes memory blockProof
    ) private view {
        (bytes32 root, uint256 start, uint256 end,,) = checkpointManager.headerBlocks(headerNumber);
        if (root == bytes32(0)) revert UnknownCheckpoint(headerNumber);
        if (blockNumber < start || blockNumber > end) revert BlockNotInCheckpoint(blockNumber, start, end);
        bytes32 node = keccak256(abi.encodePacked(blockNumber, blockTime, txRoot, receiptRoot));
        uint256 index = blockNumber - start;
        if (blockProof.length % 32 != 0 || index >> (blockProof.length / 32) != 0) revert InvalidBlockProof();
        for (uint256 offset = 32; offset <= blockProof.length; offset += 32) {
            bytes32 sibling;
            assembly ("memory-safe") {
                sibling := mload(add(blockProof, offset))
            }
            node = index % 2 == 0
                ? keccak256(abi.encodePacked(node, sibling))
                : keccak256(abi.encodePacked(sibling, node));
            index /= 2;
        }
        if (node != root) revert InvalidBlockProof();
    }

    /// @dev The trie key from the branch mask: an even hex-prefix path (first byte 0x00) over rlp(txIndex).
    function _keyOf(bytes memory branchMask) private pure returns (bytes memory key) {
        if (branchMask.length < 2 || branchMask[0] != 0x00) revert InvalidBranchMask();
        key = new bytes(branchMask.length - 1);
        for (uint256 i = 0; i < key.length; ++i) {
            key[i] = branchMask[i + 1];
        }
    }

    function _proofNodes(bytes memory encodedList) private pure returns (bytes[] memory nodes) {
        Memory.Slice[] memory items = encodedList.decodeList();
        nodes = new bytes[](items.length);
        for (uint256 i = 0; i < items.length; ++i) {
            nodes[i] = items[i].toBytes();
        }
    }

    function _logOf(bytes memory receipt, uint256 logIndex)
        private
        pure
        returns (address emitter, bytes32[] memory topics, bytes memory data)
    {
        Memory.Slice body = Memory.asSlice(receipt);
        // A typed receipt (EIP-2718) starts with its type byte (< 0x80); a legacy one is an RLP list.
        if (uint8(receipt[0]) < 0x80) body = body.slice(1);
        Memory.Slice[] memory log = body.readList()[3].readList()[logIndex].readList();
        emitter = log[0].readAddress();
        Memory.Slice[] memory t = log[1].readList();
        topics = new bytes32[](t.length);
        for (uint256 i = 0; i < t.length; ++i) {
            topics[i] = t[i].readBytes32();
        }
        data = log[2].readBytes();
    }
}
