//! `Bridge` on L1, which pays withdrawals proven against final claims, and `L2Bridge`, the L2
//! predeploy that records them.

use alloy_sol_types::sol;

sol!(
    #[allow(missing_docs)]
    #[sol(all_derives)]
    Bridge,
    "../contracts/artifacts/Bridge.json"
);

sol!(
    #[allow(missing_docs)]
    L2Bridge,
    "../contracts/artifacts/L2Bridge.json"
);
