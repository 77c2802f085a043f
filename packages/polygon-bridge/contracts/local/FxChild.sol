// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IFxMessageProcessor, IStateReceiver} from "../interfaces/IPolygonInfrastructure.sol";

/// @title Local stand-in for FxPortal's `FxChild`: only the state syncer (0x1001) may deliver messages.
contract FxChild is IStateReceiver {
    address public constant STATE_SYNCER = 0x0000000000000000000000000000000000001001;

    event NewFxMessage(address rootMessageSender, address receiver, bytes data);

    error OnlyStateSyncer();

    function onStateReceive(uint256 stateId, bytes calldata data) external {
        if (msg.sender != STATE_SYNCER) revert OnlyStateSyncer();
        (address rootMessageSender, address receiver, bytes memory message) = abi.decode(data, (address, address, bytes));
        emit NewFxMessage(rootMessageSender, receiver, message);
        IFxMessageProcessor(receiver).processMessageFromRoot(stateId, rootMessageSender, message);
    }
}
