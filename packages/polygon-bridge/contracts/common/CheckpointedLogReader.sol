// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ICheckpointManager} from "../interfaces/IPolygonInfrastructure.sol";

/// @title Reads a child-chain log that a checkpoint on Ethereum has committed to, at most once.
/// @notice The exit payload is
///   abi.encode(uint256 headerNumber, uint256 blockNumber, uint256 logIndex, address emitter,
///              bytes32[] topics, bytes data, bytes32[] proof)
/// and the checkpoint root is an OpenZeppelin StandardMerkleTree root over every log of the child blocks
/// [start, end], leaf types (uint256 blockNumber, uint256 logIndex, address emitter, bytes32[] topics, bytes data).
/// Each (blockNumber, logIndex) exits once.
abstract contract CheckpointedLogReader {
    ICheckpointManager public immutable checkpointManager;
    mapping(bytes32 exitId => bool) public processedExits;

    error UnknownCheckpoint(uint256 headerNumber);
    error BlockNotInCheckpoint(uint256 blockNumber, uint256 start, uint256 end);
    error ExitAlreadyProcessed(bytes32 exitId);
    error InvalidExitProof();

    constructor(ICheckpointManager checkpointManager_) {
        checkpointManager = checkpointManager_;
    }

    function _readCheckpointedLog(bytes calldata payload)
        internal
        returns (address emitter, bytes32[] memory topics, bytes memory data)
    {
        uint256 headerNumber;
        uint256 blockNumber;
        uint256 logIndex;
        bytes32[] memory proof;
        (headerNumber, blockNumber, logIndex, emitter, topics, data, proof) =
            abi.decode(payload, (uint256, uint256, uint256, address, bytes32[], bytes, bytes32[]));
        (bytes32 root, uint256 start, uint256 end,,) = checkpointManager.headerBlocks(headerNumber);
        if (root == bytes32(0)) revert UnknownCheckpoint(headerNumber);
        if (blockNumber < start || blockNumber > end) revert BlockNotInCheckpoint(blockNumber, start, end);
        bytes32 exitId = keccak256(abi.encode(blockNumber, logIndex));
        if (processedExits[exitId]) revert ExitAlreadyProcessed(exitId);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(blockNumber, logIndex, emitter, topics, data))));
        if (!MerkleProof.verify(proof, root, leaf)) revert InvalidExitProof();
        processedExits[exitId] = true;
    }
}
