// QR codes of otpauth:// URIs for authenticator apps, as SVG data URLs (no image library needed).
import QRCode from "qrcode";

export async function qrCodeDataUrl(text: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
  return `data:image/svg+xml;base64,${Buffer.from(svg, "utf8").toString("base64")}`;
}
