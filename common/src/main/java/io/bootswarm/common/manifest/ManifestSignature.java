package io.bootswarm.common.manifest;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Ed25519 signatures over a {@link ManifestDocument}, so that an agent takes piece hashes only from
 * a source it trusts. What is signed is a canonical encoding: the tag {@value #DOMAIN}, then every
 * field in declaration order, each as a 4-byte big-endian length and its bytes (the image id as its
 * 16 bytes, the name and swarm id as UTF-8, size as 8 and piece size as 4 big-endian bytes), so
 * that no two different documents encode alike. Keys travel as base64 of X.509 (public) and PKCS#8
 * (private) encodings, or PEM; a key is named by its {@linkplain #keyId(PublicKey) key id}.
 */
public final class ManifestSignature {

    /** The signature algorithm (JDK name). */
    public static final String ALGORITHM = "Ed25519";
    /** The domain and version tag that starts every signed encoding. */
    public static final String DOMAIN = "bootswarm-manifest-v1";
    /** The response header naming the key that signed a served manifest. */
    public static final String KEY_HEADER = "Bootswarm-Manifest-Key";
    /** The response header holding the base64 signature of a served manifest. */
    public static final String SIGNATURE_HEADER = "Bootswarm-Manifest-Signature";

    private static final String PRIVATE_PEM = "PRIVATE KEY";
    private static final String PUBLIC_PEM = "PUBLIC KEY";

    private ManifestSignature() {
    }

    /**
     * The bytes that are signed.
     *
     * @throws IllegalArgumentException if a field is missing
     */
    public static byte[] canonical(ManifestDocument doc) {
        if (doc.imageId() == null || doc.name() == null || doc.swarmId() == null || doc.pieceHashes() == null
                || doc.zeroPieces() == null) {
            throw new IllegalArgumentException("manifest document is missing a field");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + doc.pieceHashes().length + doc.zeroPieces().length);
        field(out, DOMAIN.getBytes(StandardCharsets.US_ASCII));
        field(out, ByteBuffer.allocate(16).putLong(doc.imageId().getMostSignificantBits())
                .putLong(doc.imageId().getLeastSignificantBits()).array());
        field(out, doc.name().getBytes(StandardCharsets.UTF_8));
        field(out, ByteBuffer.allocate(8).putLong(doc.size()).array());
        field(out, ByteBuffer.allocate(4).putInt(doc.pieceSize()).array());
        field(out, doc.swarmId().getBytes(StandardCharsets.UTF_8));
        field(out, doc.pieceHashes());
        field(out, doc.zeroPieces());
        return out.toByteArray();
    }

    private static void field(ByteArrayOutputStream out, byte[] bytes) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(bytes.length).array());
        out.writeBytes(bytes);
    }

    /** Signs the document's canonical encoding. */
    public static byte[] sign(ManifestDocument doc, PrivateKey key) {
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initSign(key);
            s.update(canonical(doc));
            return s.sign();
        } catch (NoSuchAlgorithmException e) {
            throw missing(e);
        } catch (InvalidKeyException | SignatureException e) {
            throw new IllegalArgumentException("cannot sign with this key: " + e.getMessage(), e);
        }
    }

    /** True if {@code signature} is {@code key}'s signature of the document; false for anything else. */
    public static boolean verify(ManifestDocument doc, byte[] signature, PublicKey key) {
        if (doc == null || signature == null || key == null) {
            return false;
        }
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initVerify(key);
            s.update(canonical(doc));
            return s.verify(signature);
        } catch (NoSuchAlgorithmException e) {
            throw missing(e);
        } catch (InvalidKeyException | SignatureException | IllegalArgumentException e) {
            return false;
        }
    }

    /** The key's id: the first 8 bytes of the SHA-256 of its X.509 encoding, in lower-case hex. */
    public static String keyId(PublicKey key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw missing(e);
        }
    }

    /** A fresh Ed25519 key pair. */
    public static KeyPair generateKeyPair() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw missing(e);
        }
    }

    /** The public key of an Ed25519 private key (RFC 8032 derives it from the 32-byte private key). */
    public static PublicKey publicKeyOf(PrivateKey key) {
        if (!(key instanceof EdECPrivateKey ed) || ed.getBytes().isEmpty()) {
            throw new IllegalArgumentException("not an Ed25519 private key");
        }
        byte[] secret = ed.getBytes().get();
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(ALGORITHM);
            g.initialize(NamedParameterSpec.ED25519, new FixedBytes(secret));
            KeyPair pair = g.generateKeyPair();
            byte[] derived = ((EdECPrivateKey) pair.getPrivate()).getBytes().orElseThrow();
            if (!Arrays.equals(derived, secret)) {
                throw new IllegalStateException("the JDK did not derive the public key from the given private key");
            }
            return pair.getPublic();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot derive the Ed25519 public key", e);
        }
    }

    /** Hands the key pair generator the private key's bytes as its "random" seed. */
    private static final class FixedBytes extends SecureRandom {
        private final byte[] bytes;

        FixedBytes(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public void nextBytes(byte[] out) {
            if (out.length != bytes.length) {
                throw new IllegalStateException("asked for " + out.length + " bytes, have " + bytes.length);
            }
            System.arraycopy(bytes, 0, out, 0, out.length);
        }
    }

    /** Base64 of the key's X.509 SubjectPublicKeyInfo encoding. */
    public static String encodePublicKey(PublicKey key) {
        return Base64.getEncoder().encodeToString(key.getEncoded());
    }

    /** Base64 of the key's PKCS#8 encoding. */
    public static String encodePrivateKey(PrivateKey key) {
        return Base64.getEncoder().encodeToString(key.getEncoded());
    }

    /**
     * Reads a public key from base64 of its X.509 encoding.
     *
     * @throws IllegalArgumentException if it is not an Ed25519 public key
     */
    public static PublicKey decodePublicKey(String base64) {
        try {
            return keyFactory().generatePublic(new X509EncodedKeySpec(Base64.getMimeDecoder().decode(base64.strip())));
        } catch (InvalidKeySpecException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not a base64 X.509 Ed25519 public key: " + e.getMessage(), e);
        }
    }

    /**
     * Reads a private key from base64 of its PKCS#8 encoding.
     *
     * @throws IllegalArgumentException if it is not an Ed25519 private key
     */
    public static PrivateKey decodePrivateKey(String base64) {
        try {
            return keyFactory().generatePrivate(new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(base64.strip())));
        } catch (InvalidKeySpecException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not a base64 PKCS#8 Ed25519 private key: " + e.getMessage(), e);
        }
    }

    /** The private key as PEM ({@code -----BEGIN PRIVATE KEY-----}, PKCS#8, as {@code openssl genpkey} writes). */
    public static String privateKeyPem(PrivateKey key) {
        return pem(PRIVATE_PEM, key.getEncoded());
    }

    /** The public key as PEM ({@code -----BEGIN PUBLIC KEY-----}, X.509). */
    public static String publicKeyPem(PublicKey key) {
        return pem(PUBLIC_PEM, key.getEncoded());
    }

    /** Reads the first {@code PRIVATE KEY} block of a PEM text. */
    public static PrivateKey privateKeyFromPem(String pem) {
        return decodePrivateKey(pemBody(pem, PRIVATE_PEM));
    }

    /** Reads the first {@code PUBLIC KEY} block of a PEM text. */
    public static PublicKey publicKeyFromPem(String pem) {
        return decodePublicKey(pemBody(pem, PUBLIC_PEM));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static String pemBody(String pem, String type) {
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int from = pem.indexOf(begin);
        int to = from < 0 ? -1 : pem.indexOf(end, from);
        if (to < 0) {
            throw new IllegalArgumentException("no " + type + " block in the PEM text");
        }
        return pem.substring(from + begin.length(), to);
    }

    private static KeyFactory keyFactory() {
        try {
            return KeyFactory.getInstance(ALGORITHM);
        } catch (NoSuchAlgorithmException e) {
            throw missing(e);
        }
    }

    private static IllegalStateException missing(NoSuchAlgorithmException e) {
        return new IllegalStateException("this JDK lacks " + e.getMessage(), e);
    }
}
