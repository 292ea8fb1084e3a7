// Preloaded into a service by a benchmark (`BENCH_NODE_ARGS="--require ./bench/lib/count-mongo-commands.cjs"`,
// with BENCH_MONGO_COMMANDS_DIR set): counts the MongoDB commands the process sends, by command
// and collection, and the statements they carry, and writes them to DIR/<service>-<pid>.json when
// the process exits. Each command itself, in order, goes to DIR/<service>-<pid>.commands.ejsonl,
// for replaying them alone against the server (replay-mongo-commands.mjs). Only for reading a
// benchmark: the services never load it.
const { writeFileSync } = require('node:fs');
const path = require('node:path');
const { BSON, MongoClient } = require('mongodb');

const dir = process.env.BENCH_MONGO_COMMANDS_DIR;
if (dir) {
  const counts = {};
  const commands = [];
  const connect = MongoClient.prototype.connect;
  MongoClient.prototype.connect = function countingConnect(...args) {
    this.monitorCommands = true;
    this.on('commandStarted', (event) => {
      const key = `${event.commandName} ${String(event.command[event.commandName])}`;
      const entry = (counts[key] ??= { commands: 0, statements: 0 });
      entry.commands += 1;
      entry.statements += event.command.updates?.length ?? event.command.documents?.length ?? 1;
      // Kept as BSON: the event's command is the driver's own object, reused after the event.
      commands.push(BSON.serialize({ db: event.databaseName, command: event.command }));
    });
    return connect.apply(this, args);
  };
  const service = path.basename(path.dirname(path.dirname(process.argv[1] ?? 'unknown')));
  process.on('exit', () => {
    const file = path.join(dir, `${service}-${process.pid}`);
    writeFileSync(`${file}.json`, JSON.stringify(counts));
    writeFileSync(
      `${file}.commands.ejsonl`,
      commands.map((doc) => BSON.EJSON.stringify(BSON.deserialize(doc), { relaxed: false })).join('\n'),
    );
  });
}
