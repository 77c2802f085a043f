// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IFxMessageProcessor} from "../interfaces/IPolygonInfrastructure.sol";

/// @title Bridged STOS on Polygon: the FxPortal-style child tunnel and its ERC-20 in one contract.
/// @notice Minted only for messages that `FxChild` delivers from the root tunnel; `withdrawTo` burns and emits
/// `MessageSent(abi.encode(to, amount))`, which the root tunnel honours once a checkpoint covers it.
contract BridgedStos is ERC20, IFxMessageProcessor {
    address public immutable fxChild;
    address public rootTunnel;
    address private immutable _deployer;

    event MessageSent(bytes message);
    event DepositReceived(uint256 indexed stateId, address indexed from, address indexed to, uint256 amount);

    error NotFxChild();
    error NotRootTunnel(address sender);
    error RootTunnelAlreadySet();
    error NotDeployer();
    error ZeroAmount();

    constructor(address fxChild_) ERC20("Stratos Token (bridged)", "STOS") {
        fxChild = fxChild_;
        _deployer = msg.sender;
    }

    function setRootTunnel(address rootTunnel_) external {
        if (msg.sender != _deployer) revert NotDeployer();
        if (rootTunnel != address(0)) revert RootTunnelAlreadySet();
        rootTunnel = rootTunnel_;
    }

    function processMessageFromRoot(uint256 stateId, address rootMessageSender, bytes calldata data) external {
        if (msg.sender != fxChild) revert NotFxChild();
        if (rootMessageSender != rootTunnel) revert NotRootTunnel(rootMessageSender);
        (address from, address to, uint256 amount) = abi.decode(data, (address, address, uint256));
        _mint(to, amount);
        emit DepositReceived(stateId, from, to, amount);
    }

    /// @notice Burn `amount` and start its release to `to` on Ethereum.
    function withdrawTo(address to, uint256 amount) public {
        if (amount == 0) revert ZeroAmount();
        _burn(msg.sender, amount);
        emit MessageSent(abi.encode(to, amount));
    }

    function withdraw(uint256 amount) external {
        withdrawTo(msg.sender, amount);
    }
}
