// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IFxStateSender, IStateSender} from "../interfaces/IPolygonInfrastructure.sol";

/// @title Local stand-in for FxPortal's `FxRoot`: wraps any caller's message for `FxChild` and state-syncs it.
contract FxRoot is IFxStateSender {
    IStateSender public immutable stateSender;
    address public fxChild;

    error FxChildAlreadySet();

    constructor(IStateSender stateSender_) {
        stateSender = stateSender_;
    }

    function setFxChild(address fxChild_) external {
        if (fxChild != address(0)) revert FxChildAlreadySet();
        fxChild = fxChild_;
    }

    function sendMessageToChild(address receiver, bytes calldata data) external {
        stateSender.syncState(fxChild, abi.encode(msg.sender, receiver, data));
    }
}
