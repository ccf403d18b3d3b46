//! `Inbox`: batches posted as blobs, each recorded with its versioned hash and L2 block range.

use alloy_sol_types::sol;

sol!(
    #[allow(missing_docs)]
    Inbox,
    "../contracts/artifacts/Inbox.json"
);
