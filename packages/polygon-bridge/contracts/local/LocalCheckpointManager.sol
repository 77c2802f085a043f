// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ICheckpointManager} from "../interfaces/IPolygonInfrastructure.sol";

/// @title Local stand-in for Polygon's RootChain checkpoint manager. The owner (the test harness) plays the
/// validator set and submits one root per contiguous range of child blocks. Header numbers step by 10000 as on
/// Polygon.
contract LocalCheckpointManager is ICheckpointManager, Ownable {
    struct HeaderBlock {
        bytes32 root;
        uint256 start;
        uint256 end;
        uint256 createdAt;
        address proposer;
    }

    uint256 public constant CHECKPOINT_INTERVAL = 10000;
    mapping(uint256 headerNumber => HeaderBlock) public headerBlocks;
    uint256 public currentHeaderBlock;
    uint256 public lastChildBlock;

    event NewHeaderBlock(
        address indexed proposer,
        uint256 indexed headerBlockId,
        uint256 indexed reward,
        uint256 start,
        uint256 end,
        bytes32 root
    );

    error NonContiguousCheckpoint(uint256 expectedStart, uint256 start);
    error EmptyCheckpoint();

    constructor(address owner_) Ownable(owner_) {}

    function submitCheckpoint(bytes32 root, uint256 start, uint256 end) external onlyOwner returns (uint256 id) {
        uint256 expectedStart = currentHeaderBlock == 0 ? start : lastChildBlock + 1;
        if (start != expectedStart) revert NonContiguousCheckpoint(expectedStart, start);
        if (end < start || root == bytes32(0)) revert EmptyCheckpoint();
        id = currentHeaderBlock + CHECKPOINT_INTERVAL;
        headerBlocks[id] = HeaderBlock(root, start, end, block.timestamp, msg.sender);
        currentHeaderBlock = id;
        lastChildBlock = end;
        emit NewHeaderBlock(msg.sender, id, 0, start, end, root);
    }
}
