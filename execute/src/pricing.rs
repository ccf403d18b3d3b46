//! EXECUTE's gas price: a fixed cost, a per-word charge for the input, and the declared gas
//! times an EIP-1559-style price over each L1 block's cumulative EXECUTE gas.

/// Pricing constants. The defaults are documented in `docs/trace-format.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PricingConfig {
    /// `EXECUTE_GAS_COST`: charged on every call.
    pub base_cost: u64,
    /// Charged per 32-byte word of input: every witness byte is hashed once.
    pub word_cost: u64,
    /// `EXECUTE_CUMULATIVE_GAS_TARGET`: declared EXECUTE gas per L1 block at which the price holds.
    pub cumulative_gas_target: u64,
    /// `EXECUTE_CUMULATIVE_GAS_LIMIT`: declared EXECUTE gas per L1 block beyond which calls fail.
    pub cumulative_gas_limit: u64,
    /// Lowest price, in L1 gas per declared EXECUTE gas.
    pub min_price: u64,
    /// The price moves by at most 1/`price_change_denominator` per block, as EIP-1559's base fee.
    pub price_change_denominator: u64,
}

impl Default for PricingConfig {
    fn default() -> Self {
        Self {
            base_cost: 100_000,
            word_cost: 6,
            cumulative_gas_target: 15_000_000,
            cumulative_gas_limit: 30_000_000,
            min_price: 1,
            price_change_denominator: 8,
        }
    }
}

/// The per-block EXECUTE market: this block's price and the EXECUTE gas declared so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecuteMarket {
    /// Pricing constants.
    pub config: PricingConfig,
    /// Price for this block, in L1 gas per declared EXECUTE gas.
    pub price: u64,
    /// EXECUTE gas declared by calls in this block so far.
    pub cumulative_gas: u64,
}

/// A call would take the block's cumulative EXECUTE gas past the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("EXECUTE gas of this block would exceed the limit of {limit}")]
pub struct CumulativeLimitReached {
    /// The configured limit.
    pub limit: u64,
}

impl ExecuteMarket {
    /// The market of a chain's first block: the minimum price, nothing used.
    pub const fn genesis(config: PricingConfig) -> Self {
        Self {
            config,
            price: config.min_price,
            cumulative_gas: 0,
        }
    }

    /// What a call costs in L1 gas: `base + words * word_cost + gas_used * price`; `None` if it
    /// does not fit in 64 bits (no call can pay that).
    pub fn call_cost(&self, input_len: usize, gas_used: u64) -> Option<u64> {
        self.input_cost(input_len)?
            .checked_add(gas_used.checked_mul(self.price)?)
    }

    /// The part of the cost that does not depend on the declared gas.
    pub fn input_cost(&self, input_len: usize) -> Option<u64> {
        let words = (input_len as u64).div_ceil(32);
        self.config
            .base_cost
            .checked_add(words.checked_mul(self.config.word_cost)?)
    }

    /// Counts a call's declared gas against this block's limit.
    pub fn admit(&mut self, gas_used: u64) -> Result<(), CumulativeLimitReached> {
        let limit = self.config.cumulative_gas_limit;
        match self.cumulative_gas.checked_add(gas_used) {
            Some(total) if total <= limit => {
                self.cumulative_gas = total;
                Ok(())
            }
            _ => Err(CumulativeLimitReached { limit }),
        }
    }

    /// The next block's market: the price moves toward the target as EIP-1559's base fee does.
    pub fn next_block(&self) -> Self {
        let c = self.config;
        let target = c.cumulative_gas_target.max(1);
        let denominator = c.price_change_denominator.max(1);
        let price = self.price as u128;
        let used = self.cumulative_gas as u128;
        let target_128 = target as u128;
        let next = if used > target_128 {
            let delta = (price * (used - target_128) / target_128 / denominator as u128).max(1);
            price.saturating_add(delta)
        } else {
            price - price * (target_128 - used) / target_128 / denominator as u128
        };
        let next = u64::try_from(next).unwrap_or(u64::MAX).max(c.min_price);
        Self {
            config: c,
            price: next,
            cumulative_gas: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_rises_over_target_and_falls_back_to_the_floor() {
        let config = PricingConfig::default();
        let mut market = ExecuteMarket::genesis(config);
        market.admit(config.cumulative_gas_limit).unwrap();
        let busy = market.next_block();
        assert_eq!(
            busy.price, 2,
            "a full block raises the price by at least one"
        );
        let mut high = ExecuteMarket { price: 800, ..busy };
        high.admit(config.cumulative_gas_limit).unwrap();
        assert_eq!(high.next_block().price, 900, "a full block is +12.5%");
        let idle = ExecuteMarket { price: 800, ..busy }.next_block();
        assert_eq!(idle.price, 700, "an empty block is -12.5%");
        assert_eq!(
            ExecuteMarket::genesis(config).next_block().price,
            config.min_price
        );
    }

    #[test]
    fn cumulative_limit_is_enforced() {
        let mut market = ExecuteMarket::genesis(PricingConfig::default());
        market.admit(20_000_000).unwrap();
        assert!(market.admit(10_000_001).is_err());
        assert_eq!(
            market.cumulative_gas, 20_000_000,
            "a refused call counts nothing"
        );
        market.admit(10_000_000).unwrap();
        assert!(market.admit(u64::MAX).is_err());
    }

    #[test]
    fn cost_is_base_plus_words_plus_declared_gas() {
        let market = ExecuteMarket {
            price: 3,
            ..ExecuteMarket::genesis(PricingConfig::default())
        };
        assert_eq!(market.call_cost(64, 1000), Some(100_000 + 2 * 6 + 3000));
        assert_eq!(market.call_cost(65, 0), Some(100_000 + 3 * 6));
        assert_eq!(market.call_cost(0, u64::MAX), None);
    }
}
