// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721URIStorage} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721URIStorage.sol";

/// @title The demo marketplace's ERC-721: anyone may mint a token with the tokenURI the NFT widget returns.
/// @notice For the local demo and tests only: minting is open to every caller.
contract DemoNft is ERC721URIStorage {
    /// @notice The id the next mint gets (ids start at 1).
    uint256 public nextTokenId = 1;

    constructor() ERC721("Stratos Edge Demo NFT", "SEDEMO") {}

    /// @notice Mints the next token to `to` with metadata at `uri`; returns its id (also in the Transfer event).
    function mint(address to, string calldata uri) external returns (uint256 id) {
        id = nextTokenId++;
        _mint(to, id);
        _setTokenURI(id, uri);
    }
}
