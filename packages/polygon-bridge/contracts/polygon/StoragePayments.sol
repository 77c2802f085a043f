// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title Storage prepayments in STOS on Polygon.
/// @notice Anyone prepays ozone for a beneficiary (the 20 bytes behind an `st1…` or `0x…` address) with
/// `approve` + `prepay` (STOS has no permit). The meta service credits ozone from the `Prepaid` event.
///
/// Refund policy: a prepayment is escrow. The settler (the meta service) records, per payment, how much of it
/// traffic has used (`settle`, cumulative and only upwards); settled STOS becomes treasury money. After
/// `refundDelay` seconds from the payment, the payer may `refund` the unsettled rest once; the payment is then
/// closed and cannot be settled further. The treasury can never take unsettled STOS; the payer can never take
/// settled STOS.
contract StoragePayments is Ownable2Step, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    struct Payment {
        address payer;
        uint64 paidAt;
        bool refunded;
        uint128 amount;
        uint128 spent;
    }

    IERC20 public immutable token;
    address public settler;
    uint64 public refundDelay;
    uint256 public paymentCount;
    uint256 public settledBalance;
    mapping(uint256 paymentId => Payment) public payments;

    event Prepaid(uint256 indexed paymentId, address indexed payer, address indexed beneficiary, uint256 amount);
    event Settled(uint256 indexed paymentId, uint256 spent);
    event Refunded(uint256 indexed paymentId, address indexed payer, uint256 amount);
    event TreasuryWithdrawal(address indexed to, uint256 amount);
    event SettlerChanged(address indexed settler);
    event RefundDelayChanged(uint64 refundDelay);

    error ZeroAmount();
    error ZeroBeneficiary();
    error UnknownPayment(uint256 paymentId);
    error NotSettler(address caller);
    error NotPayer(address caller);
    error SpentOutOfRange(uint256 spent, uint256 previous, uint256 amount);
    error PaymentClosed(uint256 paymentId);
    error RefundTooEarly(uint256 availableAt);
    error NothingToRefund(uint256 paymentId);
    error ExceedsSettledBalance(uint256 amount, uint256 settledBalance);

    constructor(IERC20 token_, address owner_, address settler_, uint64 refundDelay_) Ownable(owner_) {
        token = token_;
        settler = settler_;
        refundDelay = refundDelay_;
        emit SettlerChanged(settler_);
        emit RefundDelayChanged(refundDelay_);
    }

    /// @notice Prepay `amount` STOS of ozone for `beneficiary`. Approve this contract for `amount` first.
    function prepay(address beneficiary, uint256 amount) external whenNotPaused nonReentrant returns (uint256 id) {
        if (amount == 0) revert ZeroAmount();
        if (beneficiary == address(0)) revert ZeroBeneficiary();
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        id = ++paymentCount;
        payments[id] = Payment(msg.sender, uint64(block.timestamp), false, uint128(received), 0);
        emit Prepaid(id, msg.sender, beneficiary, received);
    }

    /// @notice The settler records that traffic used `spent` STOS of payment `id` in total.
    function settle(uint256 id, uint256 spent) external whenNotPaused {
        if (msg.sender != settler) revert NotSettler(msg.sender);
        Payment storage p = payments[id];
        if (p.payer == address(0)) revert UnknownPayment(id);
        if (p.refunded) revert PaymentClosed(id);
        if (spent < p.spent || spent > p.amount) revert SpentOutOfRange(spent, p.spent, p.amount);
        settledBalance += spent - p.spent;
        p.spent = uint128(spent);
        emit Settled(id, spent);
    }

    /// @notice The payer takes back the unsettled rest of payment `id`, once, `refundDelay` after paying.
    function refund(uint256 id) external whenNotPaused nonReentrant returns (uint256 amount) {
        Payment storage p = payments[id];
        if (p.payer == address(0)) revert UnknownPayment(id);
        if (msg.sender != p.payer) revert NotPayer(msg.sender);
        if (p.refunded) revert PaymentClosed(id);
        uint256 availableAt = uint256(p.paidAt) + refundDelay;
        if (block.timestamp < availableAt) revert RefundTooEarly(availableAt);
        amount = p.amount - p.spent;
        if (amount == 0) revert NothingToRefund(id);
        p.refunded = true;
        token.safeTransfer(p.payer, amount);
        emit Refunded(id, p.payer, amount);
    }

    /// @notice The owner (treasury) withdraws settled STOS.
    function withdrawTreasury(address to, uint256 amount) external onlyOwner whenNotPaused nonReentrant {
        if (amount > settledBalance) revert ExceedsSettledBalance(amount, settledBalance);
        settledBalance -= amount;
        token.safeTransfer(to, amount);
        emit TreasuryWithdrawal(to, amount);
    }

    function setSettler(address settler_) external onlyOwner {
        settler = settler_;
        emit SettlerChanged(settler_);
    }

    function setRefundDelay(uint64 refundDelay_) external onlyOwner {
        refundDelay = refundDelay_;
        emit RefundDelayChanged(refundDelay_);
    }

    function pause() external onlyOwner {
        _pause();
    }

    function unpause() external onlyOwner {
        _unpause();
    }
}
