// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IChildToken, IStateReceiver} from "../interfaces/IPolygonInfrastructure.sol";

/// @title Local stand-in for Polygon PoS `ChildChainManager`: applies state-synced deposits to mapped child tokens.
contract ChildChainManager is IStateReceiver, Ownable {
    address public constant STATE_SYNCER = 0x0000000000000000000000000000000000001001;
    bytes32 public constant DEPOSIT = keccak256("DEPOSIT");

    mapping(address rootToken => address) public rootToChildToken;

    event TokenMapped(address indexed rootToken, address indexed childToken);

    error OnlyStateSyncer();
    error TokenNotMapped(address rootToken);
    error UnknownSyncType(bytes32 syncType);

    constructor(address owner_) Ownable(owner_) {}

    function mapToken(address rootToken, address childToken) external onlyOwner {
        rootToChildToken[rootToken] = childToken;
        emit TokenMapped(rootToken, childToken);
    }

    function onStateReceive(uint256, bytes calldata data) external {
        if (msg.sender != STATE_SYNCER) revert OnlyStateSyncer();
        (bytes32 syncType, bytes memory syncData) = abi.decode(data, (bytes32, bytes));
        if (syncType != DEPOSIT) revert UnknownSyncType(syncType);
        (address user, address rootToken, bytes memory depositData) = abi.decode(syncData, (address, address, bytes));
        address childToken = rootToChildToken[rootToken];
        if (childToken == address(0)) revert TokenNotMapped(rootToken);
        IChildToken(childToken).deposit(user, depositData);
    }
}
