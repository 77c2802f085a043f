// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {PolygonExitReader} from "../common/PolygonExitReader.sol";
import {ICheckpointManager, IStateSender, ITokenPredicate} from "../interfaces/IPolygonInfrastructure.sol";

/// @title Local stand-in for Polygon PoS `RootChainManager` with its user-facing call shape:
/// `depositFor(user, rootToken, abi.encode(amount))` after approving the ERC20 predicate, and `exit(proof)` of a
/// burn (Transfer to address 0) on the child token once a checkpoint covers it.
contract RootChainManager is PolygonExitReader, Ownable {
    bytes32 public constant DEPOSIT = keccak256("DEPOSIT");
    bytes32 public constant ERC20_TYPE = keccak256("ERC20");
    bytes32 private constant TRANSFER_EVENT_SIG = keccak256("Transfer(address,address,uint256)");

    IStateSender public immutable stateSender;
    address public childChainManagerAddress;
    mapping(address rootToken => address) public rootToChildToken;
    mapping(address childToken => address) public childToRootToken;
    mapping(address rootToken => bytes32) public tokenToType;
    mapping(bytes32 tokenType => address) public typeToPredicate;

    event TokenMapped(address indexed rootToken, address indexed childToken, bytes32 indexed tokenType);
    event PredicateRegistered(bytes32 indexed tokenType, address indexed predicateAddress);

    error TokenNotMapped(address token);
    error InvalidUser();
    error NotABurn();

    constructor(address owner_, IStateSender stateSender_, ICheckpointManager checkpointManager_)
        PolygonExitReader(checkpointManager_)
        Ownable(owner_)
    {
        stateSender = stateSender_;
    }

    function setChildChainManagerAddress(address manager) external onlyOwner {
        childChainManagerAddress = manager;
    }

    function registerPredicate(bytes32 tokenType, address predicate) external onlyOwner {
        typeToPredicate[tokenType] = predicate;
        emit PredicateRegistered(tokenType, predicate);
    }

    function mapToken(address rootToken, address childToken, bytes32 tokenType) external onlyOwner {
        rootToChildToken[rootToken] = childToken;
        childToRootToken[childToken] = rootToken;
        tokenToType[rootToken] = tokenType;
        emit TokenMapped(rootToken, childToken, tokenType);
    }

    function depositFor(address user, address rootToken, bytes calldata depositData) external {
        if (rootToChildToken[rootToken] == address(0)) revert TokenNotMapped(rootToken);
        if (user == address(0)) revert InvalidUser();
        address predicate = typeToPredicate[tokenToType[rootToken]];
        ITokenPredicate(predicate).lockTokens(msg.sender, user, rootToken, depositData);
        stateSender.syncState(childChainManagerAddress, abi.encode(DEPOSIT, abi.encode(user, rootToken, depositData)));
    }

    function exit(bytes calldata inputData) external {
        (, address childToken, bytes32[] memory topics, bytes memory data) = _readCheckpointedLog(inputData);
        address rootToken = childToRootToken[childToken];
        if (rootToken == address(0)) revert TokenNotMapped(childToken);
        if (topics.length != 3 || topics[0] != TRANSFER_EVENT_SIG || topics[2] != bytes32(0)) revert NotABurn();
        address withdrawer = address(uint160(uint256(topics[1])));
        uint256 amount = abi.decode(data, (uint256));
        ITokenPredicate(typeToPredicate[tokenToType[rootToken]]).exitTokens(rootToken, withdrawer, amount);
    }
}
