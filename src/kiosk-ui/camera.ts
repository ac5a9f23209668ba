// Scanning a badge's QR code with the camera: the browser's BarcodeDetector where it reads QR codes,
// else jsQR (/kiosk-jsqr.js, loaded only then; the service worker keeps it offline).

const SCAN_INTERVAL_MS = 150;

type Decode = (video: HTMLVideoElement) => Promise<string | undefined>;

interface BarcodeDetectorClass {
  new (options: { formats: string[] }): { detect(source: HTMLVideoElement): Promise<{ rawValue: string }[]> };
  getSupportedFormats(): Promise<string[]>;
}
type JsQR = (data: Uint8ClampedArray, width: number, height: number, options: { inversionAttempts: string }) => { data: string } | null;

/** A function that finds a QR code's text in a video frame. */
async function qrDecoder(): Promise<Decode> {
  const Detector = (globalThis as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
  if (typeof Detector === 'function') {
    try {
      if ((await Detector.getSupportedFormats()).includes('qr_code')) {
        const detector = new Detector({ formats: ['qr_code'] });
        return async (source) => (await detector.detect(source))[0]?.rawValue;
      }
    } catch {
      // Fall back to jsQR.
    }
  }
  // A path the compiler does not resolve: the server makes this module from the jsqr package.
  const decoderUrl = '/kiosk-jsqr.js';
  const { default: jsQR } = (await import(decoderUrl)) as { default: JsQR };
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  return async (source) => {
    const scale = Math.min(1, 800 / Math.max(source.videoWidth, source.videoHeight, 1));
    const width = Math.round(source.videoWidth * scale);
    const height = Math.round(source.videoHeight * scale);
    if (width === 0 || height === 0) return undefined;
    canvas.width = width;
    canvas.height = height;
    context.drawImage(source, 0, 0, width, height);
    return jsQR(context.getImageData(0, 0, width, height).data, width, height, { inversionAttempts: 'attemptBoth' })?.data;
  };
}

export interface CameraEvents {
  /** A code was read that `accept` took: the camera is closed. */
  found(code: string): void;
  status(text: string): void;
}

/** One camera session at a time; close() stops it wherever it is. */
export class Camera {
  private session: { stream?: MediaStream; timer?: ReturnType<typeof setTimeout> } | undefined;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly accept: (code: string) => boolean,
    private readonly events: CameraEvents,
  ) {}

  get open(): boolean {
    return this.session !== undefined;
  }

  static available(): boolean {
    return Boolean(navigator.mediaDevices?.getUserMedia);
  }

  async start(): Promise<void> {
    const session: { stream?: MediaStream; timer?: ReturnType<typeof setTimeout> } = {};
    this.session = session;
    this.events.status('Starting the camera…');
    try {
      session.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
      if (this.session !== session) return session.stream.getTracks().forEach((track) => track.stop());
      this.video.srcObject = session.stream;
      await this.video.play();
      const decode = await qrDecoder();
      if (this.session !== session) return;
      this.events.status('Looking for a QR code…');
      const look = async () => {
        if (this.session !== session) return;
        const code = (await decode(this.video).catch(() => undefined))?.trim();
        if (this.session !== session) return;
        if (code && this.accept(code)) {
          this.close();
          this.events.found(code);
          return;
        }
        if (code) this.events.status('That QR code is not a badge. Hold up the QR code of your badge.');
        session.timer = setTimeout(() => void look(), SCAN_INTERVAL_MS);
      };
      void look();
    } catch (error) {
      if (this.session !== session) return;
      this.events.status(
        (error as { name?: string } | undefined)?.name === 'NotAllowedError'
          ? 'This page may not use the camera: allow it in the browser, or use a scanner.'
          : 'The camera could not be started. Use a scanner, type the code, or type your name.',
      );
    }
  }

  close(): void {
    const session = this.session;
    this.session = undefined;
    if (!session) return;
    clearTimeout(session.timer);
    session.stream?.getTracks().forEach((track) => track.stop());
    this.video.srcObject = null;
  }
}
