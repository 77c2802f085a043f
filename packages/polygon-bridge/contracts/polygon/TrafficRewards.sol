// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title Proof-of-Traffic rewards in STOS on Polygon.
/// @notice Epoch n (numbered from 1) covers [genesisTime + (n-1)*epochDuration, genesisTime + n*epochDuration).
/// The meta committee posts each epoch's reward Merkle root (OpenZeppelin StandardMerkleTree, leaves
/// (uint64 epoch, address account, uint256 amount)) with at least `threshold` EIP-712 signatures of distinct
/// committee members, in ascending signer order. Epochs are strictly increasing: an epoch at or below the last
/// posted one is stale; an epoch that has not ended yet (>= currentEpoch()) is future. Epochs may be skipped.
/// Each account claims each epoch once.
contract TrafficRewards is Ownable2Step, Pausable {
    using SafeERC20 for IERC20;

    struct EpochRoot {
        bytes32 root;
        uint128 total;
        uint128 claimed;
        uint64 postedAt;
    }

    string public constant NAME = "Stratos Edge Traffic Rewards";
    string public constant VERSION = "1";
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 public constant EPOCH_ROOT_TYPEHASH = keccak256("EpochRoot(uint64 epoch,bytes32 root,uint256 total)");

    IERC20 public immutable token;
    uint64 public immutable genesisTime;
    uint64 public immutable epochDuration;

    address[] private _committee;
    mapping(address => bool) public isCommitteeMember;
    uint256 public threshold;
    uint64 public lastEpoch;
    uint256 public reserved;
    mapping(uint64 epoch => EpochRoot) public epochRoots;
    mapping(uint64 epoch => mapping(address account => bool)) public claimed;

    event EpochRootPosted(uint64 indexed epoch, bytes32 root, uint256 total, address indexed poster);
    event RewardClaimed(uint64 indexed epoch, address indexed account, uint256 amount);
    event CommitteeChanged(address[] members, uint256 threshold);
    event UnreservedWithdrawal(address indexed to, uint256 amount);

    error StaleEpoch(uint64 epoch, uint64 lastEpoch);
    error FutureEpoch(uint64 epoch, uint64 currentEpoch);
    error ZeroRoot();
    error NotEnoughSignatures(uint256 given, uint256 threshold);
    error NotCommitteeMember(address signer);
    error SignersNotAscending(address signer);
    error InsufficientRewardFunds(uint256 needed, uint256 balance);
    error UnknownEpoch(uint64 epoch);
    error AlreadyClaimed(uint64 epoch, address account);
    error InvalidProof();
    error ExceedsEpochTotal(uint64 epoch);
    error InvalidCommittee();
    error ExceedsUnreserved(uint256 amount, uint256 unreserved);

    constructor(
        IERC20 token_,
        address owner_,
        address[] memory committee_,
        uint256 threshold_,
        uint64 genesisTime_,
        uint64 epochDuration_
    ) Ownable(owner_) {
        token = token_;
        genesisTime = genesisTime_;
        epochDuration = epochDuration_;
        _setCommittee(committee_, threshold_);
    }

    /// @notice The running epoch; 0 before genesis. Only epochs below it (ended) may be posted.
    function currentEpoch() public view returns (uint64) {
        if (block.timestamp < genesisTime) return 0;
        return uint64((block.timestamp - genesisTime) / epochDuration + 1);
    }

    function committee() external view returns (address[] memory) {
        return _committee;
    }

    function domainSeparator() public view returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256(bytes(NAME)), keccak256(bytes(VERSION)), block.chainid, address(this))
        );
    }

    /// @notice ERC-5267: the EIP-712 domain signers must use.
    function eip712Domain()
        external
        view
        returns (bytes1, string memory, string memory, uint256, address, bytes32, uint256[] memory)
    {
        return (hex"0f", NAME, VERSION, block.chainid, address(this), bytes32(0), new uint256[](0));
    }

    function epochRootDigest(uint64 epoch, bytes32 root, uint256 total) public view returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(EPOCH_ROOT_TYPEHASH, epoch, root, total));
        return keccak256(abi.encodePacked(hex"1901", domainSeparator(), structHash));
    }

    /// @notice Post epoch `epoch`'s reward root. Anyone may submit; the committee signatures are the authority.
    function postEpochRoot(uint64 epoch, bytes32 root, uint256 total, bytes[] calldata signatures)
        external
        whenNotPaused
    {
        if (epoch <= lastEpoch) revert StaleEpoch(epoch, lastEpoch);
        uint64 running = currentEpoch();
        if (epoch >= running) revert FutureEpoch(epoch, running);
        if (root == bytes32(0)) revert ZeroRoot();
        if (signatures.length < threshold) revert NotEnoughSignatures(signatures.length, threshold);
        bytes32 digest = epochRootDigest(epoch, root, total);
        address previous = address(0);
        for (uint256 i = 0; i < signatures.length; ++i) {
            address signer = ECDSA.recover(digest, signatures[i]);
            if (!isCommitteeMember[signer]) revert NotCommitteeMember(signer);
            if (signer <= previous) revert SignersNotAscending(signer);
            previous = signer;
        }
        uint256 balance = token.balanceOf(address(this));
        if (reserved + total > balance) revert InsufficientRewardFunds(reserved + total, balance);
        reserved += total;
        lastEpoch = epoch;
        epochRoots[epoch] = EpochRoot(root, uint128(total), 0, uint64(block.timestamp));
        emit EpochRootPosted(epoch, root, total, msg.sender);
    }

    /// @notice Pay `account` its reward for `epoch`. Anyone may submit; the STOS always goes to `account`.
    function claim(uint64 epoch, address account, uint256 amount, bytes32[] calldata proof) external whenNotPaused {
        EpochRoot storage r = epochRoots[epoch];
        if (r.root == bytes32(0)) revert UnknownEpoch(epoch);
        if (claimed[epoch][account]) revert AlreadyClaimed(epoch, account);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(epoch, account, amount))));
        if (!MerkleProof.verifyCalldata(proof, r.root, leaf)) revert InvalidProof();
        if (uint256(r.claimed) + amount > r.total) revert ExceedsEpochTotal(epoch);
        claimed[epoch][account] = true;
        r.claimed += uint128(amount);
        reserved -= amount;
        token.safeTransfer(account, amount);
        emit RewardClaimed(epoch, account, amount);
    }

    function setCommittee(address[] calldata members, uint256 threshold_) external onlyOwner {
        _setCommittee(members, threshold_);
    }

    /// @notice The owner withdraws STOS that no posted root has reserved.
    function withdrawUnreserved(address to, uint256 amount) external onlyOwner {
        uint256 unreserved = token.balanceOf(address(this)) - reserved;
        if (amount > unreserved) revert ExceedsUnreserved(amount, unreserved);
        token.safeTransfer(to, amount);
        emit UnreservedWithdrawal(to, amount);
    }

    function pause() external onlyOwner {
        _pause();
    }

    function unpause() external onlyOwner {
        _unpause();
    }

    function _setCommittee(address[] memory members, uint256 threshold_) private {
        if (threshold_ == 0 || threshold_ > members.length) revert InvalidCommittee();
        for (uint256 i = 0; i < _committee.length; ++i) {
            isCommitteeMember[_committee[i]] = false;
        }
        for (uint256 i = 0; i < members.length; ++i) {
            if (members[i] == address(0) || isCommitteeMember[members[i]]) revert InvalidCommittee();
            isCommitteeMember[members[i]] = true;
        }
        _committee = members;
        threshold = threshold_;
        emit CommitteeChanged(members, threshold_);
    }
}
