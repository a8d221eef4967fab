/** Streams: entries packed in listpack nodes, consumer groups and their pending entries. */
export * from './id.js';
export { Stream, counterSub, type NodeLimits, type TrimSpec } from './stream.js';
export { StreamIterator } from './iterator.js';
export { StreamNode, FLAG_DELETED, FLAG_SAMEFIELDS, LISTPACK_MAX_SIZE } from './node.js';
export { ConsumerGroup, Consumer, PendingEntry, ENTRIES_READ_INVALID, compareBytes, type Counter } from './groups.js';
export { SortedMap } from './sorted-map.js';
export { decodeElement, element, elementText } from './listpack.js';
export { radixNodeCount } from './radix.js';
