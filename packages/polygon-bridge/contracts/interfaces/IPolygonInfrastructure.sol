// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice Polygon PoS `StateSender` on Ethereum: the validators relay every `StateSynced` event to the child chain.
interface IStateSender {
    function syncState(address receiver, bytes calldata data) external;
}

/// @notice Implemented by child-chain contracts that the state syncer (system address 0x1001) calls.
interface IStateReceiver {
    function onStateReceive(uint256 stateId, bytes calldata data) external;
}

/// @notice Polygon PoS checkpoint manager (`RootChain`) on Ethereum: one root per range of child blocks.
interface ICheckpointManager {
    function headerBlocks(uint256 headerNumber)
        external
        view
        returns (bytes32 root, uint256 start, uint256 end, uint256 createdAt, address proposer);
}

/// @notice FxPortal root: forwards a message to a child contract through state sync.
interface IFxStateSender {
    function sendMessageToChild(address receiver, bytes calldata data) external;
}

/// @notice FxPortal child-side receiver, called by `FxChild`.
interface IFxMessageProcessor {
    function processMessageFromRoot(uint256 stateId, address rootMessageSender, bytes calldata data) external;
}

/// @notice Polygon PoS predicate interface as `RootChainManager` uses it.
interface ITokenPredicate {
    function lockTokens(address depositor, address depositReceiver, address rootToken, bytes calldata depositData)
        external;

    function exitTokens(address rootToken, address withdrawer, uint256 amount) external;
}

/// @notice Polygon PoS child token interface as `ChildChainManager` uses it.
interface IChildToken {
    function deposit(address user, bytes calldata depositData) external;
}
