/** gradopt/attack/image: photos (JPEG, PNG) in and out of image classifiers. */
export {
  decodeImage,
  decodeImageAsync,
  imageDecoderInfo,
  readImage,
  sniffImageFormat,
  type DecodeOptions,
  type ImageDecoder,
  type RgbImage,
  type ImageFormat,
} from "./decode.js";
export { resizeImage, resampleRegion, centreCropBox, type CropBox, type ResizeFit } from "./resize.js";
export {
  imageToInput,
  regionToInput,
  loadPhoto,
  imageInputSize,
  DEFAULT_IMAGE_SIDE,
  perturbationOnOriginal,
  encodePng,
  type Photo,
} from "./photo.js";
export { signedGradientImage } from "./signed-gradient.js";
export {
  perEpsPredictions,
  photoFigures,
  recheckFullResolution,
  writeFigureFiles,
  writePhotoFigures,
  type EpsPrediction,
  type PhotoFigure,
  type FullResolutionCheck,
} from "./figures.js";
export { jpegOrientation, applyOrientation } from "./orientation.js";
