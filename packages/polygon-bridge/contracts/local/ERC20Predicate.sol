// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ITokenPredicate} from "../interfaces/IPolygonInfrastructure.sol";

/// @title Local stand-in for Polygon PoS `ERC20Predicate`: holds locked root tokens. Users approve this contract,
/// then call `RootChainManager.depositFor`.
contract ERC20Predicate is ITokenPredicate {
    using SafeERC20 for IERC20;

    address public immutable manager;

    event LockedERC20(
        address indexed depositor, address indexed depositReceiver, address indexed rootToken, uint256 amount
    );
    event ExitedERC20(address indexed exitor, address indexed rootToken, uint256 amount);

    error OnlyManager();

    constructor(address manager_) {
        manager = manager_;
    }

    modifier onlyManager() {
        if (msg.sender != manager) revert OnlyManager();
        _;
    }

    function lockTokens(address depositor, address depositReceiver, address rootToken, bytes calldata depositData)
        external
        onlyManager
    {
        uint256 amount = abi.decode(depositData, (uint256));
        emit LockedERC20(depositor, depositReceiver, rootToken, amount);
        IERC20(rootToken).safeTransferFrom(depositor, address(this), amount);
    }

    function exitTokens(address rootToken, address withdrawer, uint256 amount) external onlyManager {
        emit ExitedERC20(withdrawer, rootToken, amount);
        IERC20(rootToken).safeTransfer(withdrawer, amount);
    }
}
