package io.bootswarm.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP/1.1 request written by hand on a socket, for what a regular client cannot do: send the
 * headers and hold the body back, stream a body without end, pause mid-body.
 */
public final class RawHttp implements AutoCloseable {

    /** A parsed response. */
    public record Response(int status, Map<String, String> headers, String body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    private RawHttp(Socket socket) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.in = socket.getInputStream();
    }

    /**
     * Opens a connection to {@code 127.0.0.1:port} and sends the request line and headers (each
     * {@code "Name: value"}), with a Host header first; the body, if any, is the caller's to write.
     */
    public static RawHttp request(int port, String method, String target, String... headers) throws IOException {
        RawHttp h = new RawHttp(new Socket("127.0.0.1", port));
        StringBuilder req = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n");
        for (String e : headers) {
            req.append(e).append("\r\n");
        }
        req.append("\r\n");
        h.out.write(req.toString().getBytes(StandardCharsets.US_ASCII));
        h.out.flush();
        return h;
    }

    /** True if one of {@code headers} ({@code "Name: value"}) is named {@code name}, in any case. */
    public static boolean hasHeader(String name, String... headers) {
        for (String e : headers) {
            if (e.toLowerCase(Locale.ROOT).startsWith(name.toLowerCase(Locale.ROOT) + ":")) {
                return true;
            }
        }
        return false;
    }

    public void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Writes one chunk of a chunked body (an empty one ends the body). */
    public void chunk(byte[] bytes) throws IOException {
        out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Reads the response (Content-Length, chunked, or until close). */
    public Response readResponse(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        String head = readHead();
        String[] lines = head.split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT), lines[i].substring(c + 1).trim());
        }
        byte[] body;
        if (headers.containsKey("content-length")) {
            body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            while (true) {
                int size = Integer.parseInt(readLine().split(";")[0].trim(), 16);
                if (size == 0) {
                    readLine();
                    break;
                }
                b.writeBytes(in.readNBytes(size));
                readLine();
            }
            body = b.toByteArray();
        } else {
            body = in.readAllBytes();
        }
        return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    /** True if the server closed the connection (EOF or reset) within {@code timeout}. */
    public boolean closedByServer(Duration timeout) throws IOException {
        return Sockets.closedByOtherSide(socket, in, timeout);
    }

    private String readHead() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed after " + sb.length() + " bytes of response head: " + sb);
            }
            sb.append((char) c);
        }
        return sb.substring(0, sb.length() - 4);
    }

    private String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith("\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed mid-line");
            }
            sb.append((char) c);
        }
        return sb.substring(0, sb.length() - 2);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
