import { test } from 'node:test';
import { kcat } from './matrix/clients.js';
import { runClientMatrix } from './matrix/driver.js';
import { commandExists, pythonModuleExists } from './helpers.js';

test('client matrix, kcat: create a topic, produce keyed and unkeyed with each compression, consume from the beginning, a 3-member group over 6 partitions rebalancing on leave and join, resume from committed offsets after a broker restart', { skip: commandExists('kcat') ? false : 'kcat is not installed (Debian package kcat)' }, (t) =>
  runClientMatrix(t, kcat()),
);
