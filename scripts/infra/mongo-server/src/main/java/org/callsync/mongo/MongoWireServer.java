package org.callsync.mongo;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.ServerVersion;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

/**
 * Binds mongo-java-server to a port so the project's tests and demo have a MongoDB-wire server
 * on machines where no mongod can be installed. Usage: MongoWireServer PORT [memory|h2 FILE].
 * The memory backend is the default; the H2 file backend survives a restart.
 */
public final class MongoWireServer {
  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: MongoWireServer PORT [memory|h2 FILE]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    String kind = args.length > 1 ? args[1] : "memory";
    MongoBackend backend;
    if (kind.equals("h2")) {
      if (args.length < 3) {
        System.err.println("the h2 backend needs a file path");
        System.exit(2);
      }
      backend = new H2Backend(args[2]);
    } else if (kind.equals("memory")) {
      backend = new MemoryBackend();
    } else {
      System.err.println("unknown backend '" + kind + "': use memory or h2");
      System.exit(2);
      return;
    }
    // Wire version 8 (4.2) at least: current drivers refuse older servers.
    backend.version(ServerVersion.MONGO_5_0);
    MongoServer server = new MongoServer(backend);
    server.bind("127.0.0.1", port);
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown));
    System.err.println("mongo-wire server listening on 127.0.0.1:" + port + " (" + kind + ")");
    Thread.currentThread().join();
  }
}
