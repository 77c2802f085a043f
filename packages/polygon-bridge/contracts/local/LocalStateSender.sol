// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IStateSender} from "../interfaces/IPolygonInfrastructure.sol";

/// @title Local stand-in for Polygon's StateSender: the test harness relays each `StateSynced` to the child
/// chain by calling `onStateReceive` as the system address 0x1001, as Polygon validators do.
contract LocalStateSender is IStateSender {
    uint256 public counter;

    event StateSynced(uint256 indexed id, address indexed contractAddress, bytes data);

    function syncState(address receiver, bytes calldata data) external {
        uint256 id = ++counter;
        emit StateSynced(id, receiver, data);
    }
}
