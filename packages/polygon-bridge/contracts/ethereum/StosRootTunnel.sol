// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {PolygonExitReader} from "../common/PolygonExitReader.sol";
import {ICheckpointManager, IFxStateSender} from "../interfaces/IPolygonInfrastructure.sol";

/// @title FxPortal-style root tunnel for STOS (no Polygon mapping needed).
/// @notice `deposit` locks STOS here and sends (from, to, amount) to the child tunnel, which mints bridged STOS.
/// A burn on Polygon emits `MessageSent(abi.encode(to, amount))` from the child tunnel; once a checkpoint covers
/// it, anyone may call `receiveMessage(proof)` with Polygon's exit payload (see PolygonExitReader) and STOS is
/// released to `to`, once.
contract StosRootTunnel is PolygonExitReader {
    using SafeERC20 for IERC20;

    bytes32 public constant SEND_MESSAGE_EVENT_SIG = keccak256("MessageSent(bytes)");

    IERC20 public immutable stos;
    IFxStateSender public immutable fxRoot;
    address public childTunnel;
    address private immutable _deployer;

    event Deposited(address indexed from, address indexed to, uint256 amount);
    event Released(address indexed to, uint256 amount, bytes32 indexed exitId);

    error ChildTunnelAlreadySet();
    error NotDeployer();
    error ZeroAmount();
    error ZeroAddress();
    error WrongEmitter(address emitter);
    error NotAMessage();

    constructor(IERC20 stos_, IFxStateSender fxRoot_, ICheckpointManager checkpointManager_)
        PolygonExitReader(checkpointManager_)
    {
        stos = stos_;
        fxRoot = fxRoot_;
        _deployer = msg.sender;
    }

    /// @notice Set once by the deployer to the child tunnel's address on Polygon.
    function setChildTunnel(address childTunnel_) external {
        if (msg.sender != _deployer) revert NotDeployer();
        if (childTunnel != address(0)) revert ChildTunnelAlreadySet();
        if (childTunnel_ == address(0)) revert ZeroAddress();
        childTunnel = childTunnel_;
    }

    /// @notice Lock `amount` STOS (approve this contract first: STOS has no permit) and mint it to `to` on Polygon.
    function deposit(address to, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroAddress();
        uint256 before = stos.balanceOf(address(this));
        stos.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = stos.balanceOf(address(this)) - before;
        fxRoot.sendMessageToChild(childTunnel, abi.encode(msg.sender, to, received));
        emit Deposited(msg.sender, to, received);
    }

    /// @notice Release STOS for a checkpointed burn on the child tunnel.
    function receiveMessage(bytes calldata inputData) external {
        (bytes32 exitId, address emitter, bytes32[] memory topics, bytes memory data) = _readCheckpointedLog(inputData);
        if (emitter != childTunnel) revert WrongEmitter(emitter);
        if (topics.length != 1 || topics[0] != SEND_MESSAGE_EVENT_SIG) revert NotAMessage();
        (address to, uint256 amount) = abi.decode(abi.decode(data, (bytes)), (address, uint256));
        stos.safeTransfer(to, amount);
        emit Released(to, amount, exitId);
    }
}
