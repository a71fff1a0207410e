package org.tta.otel.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;
import org.neo4j.logging.log4j.Log4jLogProvider;

/**
 * A real Neo4j 5 server for the integration tests, without Docker: Neo4j embedded in this
 * JVM, serving Bolt on 127.0.0.1 so the tests can use the official Python driver.
 *
 * <p>Usage: {@code java -Xmx512m -jar neo4j-server.jar --port 7687 --data /tmp/neo4j [--stop-on-eof]}.
 * Authentication is disabled, HTTP and HTTPS are off, Bolt is unencrypted, the page cache
 * is 64 MiB and usage data is not sent. {@code --data} is the Neo4j home: databases, and
 * Neo4j's debug.log under logs/. Prints {@code READY bolt://127.0.0.1:PORT} on stdout once
 * the default database is available and Bolt accepts connections; Neo4j's user log goes to
 * stderr. SIGTERM (or Ctrl-C) shuts the databases down cleanly, and so does the end of
 * stdin with {@code --stop-on-eof}: a parent that dies without stopping us (a killed test
 * run) closes that pipe, so no orphaned server keeps its memory and port.
 */
public final class EmbeddedNeo4j {
    private static final String HOST = "127.0.0.1";
    private static final Duration STARTUP_TIMEOUT = Duration.ofMinutes(2);

    private EmbeddedNeo4j() {}

    public static void main(String[] args) throws InterruptedException {
        Integer port = null;
        Path data = null;
        boolean stopOnEof = false;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            if ("--port".equals(args[i]) && value != null) {
                port = Integer.parseInt(value);
                i++;
            } else if ("--data".equals(args[i]) && value != null) {
                data = Path.of(value).toAbsolutePath();
                i++;
            } else if ("--stop-on-eof".equals(args[i])) {
                stopOnEof = true;
            } else {
                usage("unknown argument: " + args[i]);
            }
        }
        if (port == null || data == null) {
            usage("--port and --data are required");
        }

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(data)
                .setUserLogProvider(new Log4jLogProvider(System.err))
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(HOST, port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress(HOST, port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(64))
                .setConfig(GraphDatabaseSettings.tx_state_max_off_heap_memory, ByteUnit.mebiBytes(64))
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                // Internal settings: without them stopping Bolt waits 5 s, twice, on every shutdown.
                .setConfig(BoltConnectorInternalSettings.enable_local_connector, false)
                .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1))
                .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1))
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(2))
                .build();
        Runtime.getRuntime().addShutdownHook(new Thread(dbms::shutdown, "neo4j-shutdown"));
        if (stopOnEof) {
            Thread watchdog = new Thread(EmbeddedNeo4j::exitAtEndOfStdin, "stdin-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
        }

        GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        if (!db.isAvailable(STARTUP_TIMEOUT.toMillis()) || !awaitBolt(port, deadline)) {
            System.err.println("neo4j did not become available within " + STARTUP_TIMEOUT);
            System.exit(1);
        }
        System.out.println("READY bolt://" + HOST + ":" + port);
        System.out.flush();
        // Neo4j's threads serve Bolt; this one only waits for the JVM to be told to stop.
        Thread.currentThread().join();
    }

    private static boolean awaitBolt(int port, long deadlineNanos) throws InterruptedException {
        while (System.nanoTime() < deadlineNanos) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(HOST, port), 500);
                return true;
            } catch (IOException notYet) {
                TimeUnit.MILLISECONDS.sleep(100);
            }
        }
        return false;
    }

    private static void exitAtEndOfStdin() {
        try {
            while (System.in.read() != -1) {
                // Whatever the parent writes is ignored; only the end of the stream counts.
            }
        } catch (IOException closed) {
            // A broken stdin means the parent is gone, as the end of the stream does.
        }
        System.exit(0);
    }

    private static void usage(String problem) {
        System.err.println(problem);
        System.err.println("usage: java -jar neo4j-server.jar --port PORT --data DIRECTORY [--stop-on-eof]");
        System.exit(2);
    }
}
