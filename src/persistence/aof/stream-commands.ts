/**
 * The commands that rebuild a stream in an AOF base (Redis's rewriteStreamObject): an XADD per
 * entry (or, for an empty stream, an XADD MAXLEN 0 that leaves the key), XSETID with the last
 * ID, entries added and greatest deleted ID, then per group an XGROUP CREATE with its entries
 * read, and per consumer an XCLAIM … JUSTID FORCE for each of its pending entries, or an XGROUP
 * CREATECONSUMER when it has none. Written in pieces of ENTRIES_PER_PIECE entries.
 */
import { decodeElement, element, formatId, idFromKey, type Stream } from '../../types/stream/index.js';
import type { ByteSink } from '../rdb/sink.js';

const ENTRIES_PER_PIECE = 512;

function header(out: ByteSink, type: number, n: number): void {
  const text = String(n);
  out.ensure(text.length + 3);
  out.byte(type);
  out.latin1(text);
  out.byte(13);
  out.byte(10);
}

function bulk(out: ByteSink, s: string): void {
  header(out, 36, s.length);
  out.latin1(s);
  out.byte(13);
  out.byte(10);
}

function command(out: ByteSink, ...argv: string[]): void {
  header(out, 42, argv.length);
  for (const arg of argv) bulk(out, arg);
}

/** A listpack element as one argument, straight from the node's bytes. */
function writeElement(out: ByteSink, lp: Buffer, p: number): void {
  decodeElement(lp, p);
  if (element.isInt) {
    bulk(out, String(element.int));
    return;
  }
  header(out, 36, element.end - element.start);
  out.bytes(lp, element.start, element.end);
  out.byte(13);
  out.byte(10);
}

export function* streamCommandPieces(out: ByteSink, key: string, stream: Stream): Generator<void, void, void> {
  if (stream.length !== 0) {
    const it = stream.iterator(null, null, false);
    let inPiece = 0;
    while (it.next()) {
      header(out, 42, 3 + it.numFields * 2);
      bulk(out, 'XADD');
      bulk(out, key);
      bulk(out, formatId(it.id));
      for (let i = 0; i < it.numFields; i++) {
        writeElement(out, it.lp, it.nextField());
        writeElement(out, it.lp, it.nextValue());
      }
      if (++inPiece === ENTRIES_PER_PIECE) {
        inPiece = 0;
        yield;
      }
    }
  } else {
    // XADD MAXLEN 0 creates the key and leaves it empty, as a stream may be.
    command(out, 'XADD', key, 'MAXLEN', '0', '0-1', 'x', 'y');
  }
  command(out, 'XSETID', key, formatId(stream.lastId), 'ENTRIESADDED', String(stream.entriesAdded), 'MAXDELETEDID', formatId(stream.maxDeletedId));
  let commands = 0;
  for (const [name, group] of stream.groupsInOrder()) {
    command(out, 'XGROUP', 'CREATE', key, name, formatId(group.lastId), 'ENTRIESREAD', String(group.entriesRead));
    for (const consumer of group.consumersInOrder()) {
      if (consumer.pel.size === 0) {
        command(out, 'XGROUP', 'CREATECONSUMER', key, name, consumer.name);
        continue;
      }
      for (const [entryKey, entry] of consumer.pel.entries()) {
        command(
          out, 'XCLAIM', key, name, consumer.name, '0', formatId(idFromKey(entryKey)), 'TIME', String(entry.deliveryTime),
          'RETRYCOUNT', String(entry.deliveryCount), 'JUSTID', 'FORCE',
        );
        if (++commands === ENTRIES_PER_PIECE) {
          commands = 0;
          yield;
        }
      }
    }
  }
}
