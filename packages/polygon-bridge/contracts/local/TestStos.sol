// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

/// @title A local stand-in for STOS on Ethereum (0x08c32b0726C5684024ea6e141C50aDe9690bBdcc).
/// @notice Like the real token: 18 decimals, pausable (transfer, transferFrom and approve revert while paused),
/// no EIP-2612 permit. The owner mints for tests.
contract TestStos is ERC20, Pausable, Ownable {
    constructor(address owner_) ERC20("Stratos Token", "STOS") Ownable(owner_) {}

    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }

    function pause() external onlyOwner {
        _pause();
    }

    function unpause() external onlyOwner {
        _unpause();
    }

    function approve(address spender, uint256 value) public override whenNotPaused returns (bool) {
        return super.approve(spender, value);
    }

    function _update(address from, address to, uint256 value) internal override whenNotPaused {
        super._update(from, to, value);
    }
}
