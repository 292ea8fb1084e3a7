// Preloaded into a service by a benchmark (`BENCH_NODE_ARGS="--require ./bench/lib/count-mongo-commands.cjs"`,
// with BENCH_MONGO_COMMANDS_DIR set): counts the MongoDB commands the process sends, by command
// and collection, and the statements they carry, and writes them to DIR/<service>-<pid>.json when
// the process exits. Only for reading a benchmark: the services never load it.
const { writeFileSync } = require('node:fs');
const path = require('node:path');
const { MongoClient } = require('mongodb');

const dir = process.env.BENCH_MONGO_COMMANDS_DIR;
if (dir) {
  const counts = {};
  const connect = MongoClient.prototype.connect;
  MongoClient.prototype.connect = function countingConnect(...args) {
    this.monitorCommands = true;
    this.on('commandStarted', (event) => {
      const key = `${event.commandName} ${String(event.command[event.commandName])}`;
      const entry = (counts[key] ??= { commands: 0, statements: 0 });
      entry.commands += 1;
      entry.statements += event.command.updates?.length ?? event.command.documents?.length ?? 1;
    });
    return connect.apply(this, args);
  };
  const service = path.basename(path.dirname(path.dirname(process.argv[1] ?? 'unknown')));
  process.on('exit', () => {
    writeFileSync(path.join(dir, `${service}-${process.pid}.json`), JSON.stringify(counts));
  });
}
