/** The Redis version nodis behaves as (INFO redis_version, HELLO, LOLWUT). */
export const NODIS_VERSION = '7.0.15';
