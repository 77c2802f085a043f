// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IChildToken} from "../interfaces/IPolygonInfrastructure.sol";

/// @title Local stand-in for a Polygon PoS mapped child token (what STOS would be if Polygon mapped it):
/// minted by `ChildChainManager` on deposit, burned by `withdraw` (a Transfer to address 0 that `exit` proves).
contract ChildStos is ERC20, IChildToken {
    address public immutable childChainManager;

    error OnlyChildChainManager();

    constructor(address childChainManager_) ERC20("Stratos Token (PoS)", "STOS") {
        childChainManager = childChainManager_;
    }

    function deposit(address user, bytes calldata depositData) external {
        if (msg.sender != childChainManager) revert OnlyChildChainManager();
        _mint(user, abi.decode(depositData, (uint256)));
    }

    function withdraw(uint256 amount) external {
        _burn(msg.sender, amount);
    }
}
