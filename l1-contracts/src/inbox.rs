//! `Inbox`: batches posted as blobs, each recorded with its versioned hash and L2 block range.

use alloy_sol_types::sol;

// The `MessageQueued` event has eight fields, so its generated constructor takes eight arguments.
sol!(
    #[allow(missing_docs, clippy::too_many_arguments)]
    Inbox,
    "../contracts/artifacts/Inbox.json"
);
