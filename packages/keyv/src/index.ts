/**
 * The Keyv bridge, both ways: {@link keyvTier} makes any Keyv store a tiercache tier, and
 * {@link toKeyvStore} makes a `TieredCache` a Keyv store (and so a cache-manager store).
 *
 * @packageDocumentation
 */
export {
  type KeyvDeserialize,
  type KeyvEnvelope,
  keyvDefaultDeserialize,
} from './keyv-envelope.js';
export {
  MAX_REMEMBERED_EXPIRIES,
  TieredKeyvStore,
  type TieredKeyvStoreOptions,
  type TieredKeyvStoreOpts,
  toKeyvStore,
} from './keyv-store.js';
export { KeyvTier, type KeyvTierInput, type KeyvTierOptions, keyvTier } from './keyv-tier.js';
